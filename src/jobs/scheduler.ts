import { Cron } from "croner";
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
 * Starts every job on its schedule in this process with croner. `protect: true` means a run that
 * is still going when the next one is due makes that one skip, so runs never overlap.
 */
export function startScheduler(deps: Deps, jobs: readonly Job[]): Scheduler {
  const running = new Set<Promise<unknown>>();
  const crons = jobs.map((job) =>
    new Cron(job.schedule, { name: job.name, protect: true, catch: true }, async () => {
      const run = job.run(deps).then(
        (result) => deps.log.info({ msg: "job finished", job: job.name, ...result }),
        (error) => deps.log.error({ msg: "job failed", job: job.name, error: String(error) }),
      );
      running.add(run);
      await run;
      running.delete(run);
    })
  );
  return {
    stop: async () => {
      for (const cron of crons) cron.stop();
      await Promise.all(running);
    },
  };
}
