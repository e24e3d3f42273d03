import type { Config } from "../config.ts";
import { syncLiveSessions } from "../data/dialect.ts";
import type { PurgeRequest, PurgeResponse } from "./purge_worker.ts";
import type { Job } from "./scheduler.ts";

/**
 * Runs `purgeDueAccounts` in a Worker with its own database connection, so the thread that serves
 * requests only reads while the purge writes (SQLite WAL: readers never wait for a writer).
 */
export function purgeInWorker(config: Config, now: Date): Promise<Record<string, number>> {
  const worker = new Worker(new URL("./purge_worker.ts", import.meta.url).href, { type: "module" });
  return new Promise<Record<string, number>>((resolve, reject) => {
    worker.onmessage = ({ data }: MessageEvent<PurgeResponse>) =>
      data.ok ? resolve(data.result) : reject(new Error(data.error));
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(event.message));
    };
    worker.postMessage({ config, now: now.toISOString() } satisfies PurgeRequest);
  }).finally(() => worker.terminate());
}

/** Purges accounts past their deletion date, hourly, then delivers the notices and events. */
export const purgeDeletionsJob: Job = {
  name: "purge-deletions",
  schedule: "0 10 * * * *",
  run: async (deps) => {
    const result = await purgeInWorker(deps.config, deps.clock.now());
    await syncLiveSessions(deps.db); // the Worker's own connection wrote: let this cache see it
    deps.outbox.nudge();
    deps.webhooks.nudge();
    return result;
  },
};
