import { writeTransaction } from "../data/transactions.ts";
import type { Db } from "../data/database.ts";
import {
  deleteEndedSessions,
  deleteExpiredRefreshTokens,
  deleteFinishedEmailTokens,
  deleteSentMail,
} from "../data/housekeeping.ts";
import { pruneJobRuns } from "../data/job_runs.ts";
import { pruneRateLimits } from "../data/rate_limits.ts";
import type { Job } from "./scheduler.ts";

const RETENTION_MS = 30 * 86_400_000;

/**
 * Deletes what no longer serves: refresh tokens past their expiry, sessions revoked or expired
 * more than 30 days ago (with their tokens), email tokens used or expired, and mail sent more
 * than 30 days ago, rate-limit windows that have ended, and the claims of scheduled runs older
 * than a day.
 *
 * Spent refresh tokens of live sessions are kept until they expire: replaying one is how theft
 * is detected, and a deleted one would only be "unknown".
 */
export async function pruneTokens(db: Db, now: Date): Promise<Record<string, number>> {
  const at = now.toISOString();
  const retention = new Date(now.getTime() - RETENTION_MS).toISOString();
  return await writeTransaction(db, async (trx) => ({
    sessions: await deleteEndedSessions(trx, retention),
    refresh_tokens: await deleteExpiredRefreshTokens(trx, at),
    email_tokens: await deleteFinishedEmailTokens(trx, at),
    mail: await deleteSentMail(trx, retention),
    rate_limits: await pruneRateLimits(trx, at),
    // A claim only has to outlive its tick: a day is plenty (deliver-mail claims 5,760 a day).
    job_runs: await pruneJobRuns(trx, new Date(now.getTime() - 86_400_000).toISOString()),
  }));
}

/** Runs `pruneTokens` daily at 03:17. */
export const pruneTokensJob: Job = {
  name: "prune-tokens",
  schedule: "0 17 3 * * *",
  run: (deps) => pruneTokens(deps.db, deps.clock.now()),
};
