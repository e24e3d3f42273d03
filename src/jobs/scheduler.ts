import { Cron } from "croner";
import { claimJobRun } from "../data/job_runs.ts";
import type { Deps } from "../deps.ts";

/** A scheduled job: a name for the CLI, a cron pattern (seconds first), and the work. */
export interface Job {
  name: string;
  schedule: string;
  run(deps: Deps): Promise<Record<string, number>>;
}

/** The running scheduler. */
export interface Scheduler {
  /** Stops every job and waits for runs in progress. */
  stop(): Promise<void>;
}

/**
 * What fires a job: calls `fire` with the tick the run was scheduled for whenever `job` is due,
 * until the returned function is called. The default is croner; tests pass one that fires when
 * they say so.
 */
export type Trigger = (job: Job, fire: (tick: Date) => Promise<void>) => () => void;

/** croner, in this process: a job's `schedule` is its cron pattern, seconds first. */
export const cronTrigger: Trigger = (job, fire) => {
  const cron: Cron = new Cron(
    job.schedule,
    { name: job.name, protect: true, catch: true },
    // The time the run was scheduled for, whole seconds: the same on every instance.
    () => fire(new Date(Math.floor((cron.currentRun() ?? new Date()).getTime() / 1000) * 1000)),
  );
  return () => cron.stop();
};

/**
 * Runs `job` for the tick it was scheduled at, unless another instance on the same database has
 * claimed that tick already (see `claimJobRun`): each tick runs once across instances. Returns
 * whether this instance ran it; its outcome is counted and logged (`runJob`).
 */
export async function runScheduledTick(deps: Deps, job: Job, tick: Date): Promise<boolean> {
  const claimed = await claimJobRun(
    deps.db,
    job.name,
    tick.toISOString(),
    deps.clock.now().toISOString(),
  );
  if (!claimed) return false;
  await runJob(deps, job);
  return true;
}

/**
 * Starts every job on its schedule. A job whose previous run is still going when it is due again
 * skips that turn, so runs of one job never overlap; with several instances on one database, each
 * tick runs on one of them (`runScheduledTick`). Each run is counted (`deps.metrics`) and logged:
 * at info when it did something (any count in its result is non-zero) or failed, at debug when it
 * found nothing to do, so an idle server stays quiet.
 */
export function startScheduler(
  deps: Deps,
  jobs: readonly Job[],
  trigger: Trigger = cronTrigger,
): Scheduler {
  const running = new Map<string, Promise<unknown>>();
  const stops = jobs.map((job) =>
    trigger(job, async (tick) => {
      if (running.has(job.name)) {
        deps.log.debug({ msg: "job skipped: previous run still going", job: job.name });
        return;
      }
      const run = runScheduledTick(deps, job, tick).catch((error) =>
        deps.log.error({ msg: "job failed", job: job.name, error: String(error) })
      );
      running.set(job.name, run);
      try {
        await run;
      } finally {
        running.delete(job.name);
      }
    })
  );
  return {
    stop: async () => {
      for (const stop of stops) stop();
      await Promise.all(running.values());
    },
  };
}

/** Runs `job` once, counts and logs the outcome; never throws. */
async function runJob(deps: Deps, job: Job): Promise<void> {
  try {
    const result = await job.run(deps);
    deps.metrics.jobRun(job.name, "succeeded");
    const idle = Object.values(result).every((count) => count === 0);
    const entry = { msg: "job finished", job: job.name, ...result };
    if (idle) deps.log.debug(entry);
    else deps.log.info(entry);
  } catch (error) {
    deps.metrics.jobRun(job.name, "failed");
    deps.log.error({ msg: "job failed", job: job.name, error: String(error) });
  }
}
