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
 * Runs `job` for the tick it was scheduled at, unless another instance on the same database has
 * claimed that tick already (see `claimJobRun`): each tick runs once across instances. Returns
 * whether this instance ran it; its result or failure is logged.
 */
export async function runScheduledTick(deps: Deps, job: Job, tick: Date): Promise<boolean> {
  const claimed = await claimJobRun(
    deps.db,
    job.name,
    tick.toISOString(),
    deps.clock.now().toISOString(),
  );
  if (!claimed) return false;
  await job.run(deps).then(
    (result) => deps.log.info({ msg: "job finished", job: job.name, ...result }),
    (error) => deps.log.error({ msg: "job failed", job: job.name, error: String(error) }),
  );
  return true;
}

/**
 * Starts every job on its schedule in this process with croner. `protect: true` means a run that
 * is still going when the next one is due makes that one skip, so runs never overlap; with several
 * instances on one database, each tick runs on one of them (`runScheduledTick`).
 */
export function startScheduler(deps: Deps, jobs: readonly Job[]): Scheduler {
  const running = new Set<Promise<unknown>>();
  const crons = jobs.map((job) => {
    const cron: Cron = new Cron(
      job.schedule,
      { name: job.name, protect: true, catch: true },
      async () => {
        // The time the run was scheduled for, whole seconds: the same on every instance.
        const tick = Math.floor((cron.currentRun() ?? new Date()).getTime() / 1000) * 1000;
        const run = runScheduledTick(deps, job, new Date(tick)).catch((error) =>
          deps.log.error({ msg: "job failed", job: job.name, error: String(error) })
        );
        running.add(run);
        await run;
        running.delete(run);
      },
    );
    return cron;
  });
  return {
    stop: async () => {
      for (const cron of crons) cron.stop();
      await Promise.all(running);
    },
  };
}
