/// <reference lib="deno.worker" />
import type { Config } from "../config.ts";
import { openConfiguredDatabase } from "../data/database.ts";
import { closeDeps, createDeps } from "../deps.ts";
import { silentLogger } from "../log.ts";
import { purgeDueAccounts } from "../services/account_purge.ts";

/** What the purge worker is asked, and what it answers. */
export type PurgeRequest = { config: Config; now: string };
export type PurgeResponse =
  | { ok: true; result: Awaited<ReturnType<typeof purgeDueAccounts>> }
  | { ok: false; error: string };

self.onmessage = async ({ data }: MessageEvent<PurgeRequest>) => {
  const now = new Date(data.now);
  // Its own connection: the serving thread's readers never wait for the purge's writes (WAL).
  const deps = await createDeps(data.config, {
    db: openConfiguredDatabase(data.config, { forBatchWork: true }),
    clock: { now: () => now },
    log: silentLogger,
  });
  try {
    const result = await purgeDueAccounts(deps, now);
    self.postMessage({ ok: true, result } satisfies PurgeResponse);
  } catch (error) {
    self.postMessage({ ok: false, error: String(error) } satisfies PurgeResponse);
  } finally {
    await closeDeps(deps);
  }
};
