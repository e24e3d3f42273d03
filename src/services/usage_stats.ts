import { readTransaction } from "../data/transactions.ts";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { findCreditAccount } from "../data/credit_accounts.ts";
import { pendingExpiry } from "../data/credit_lots.ts";
import { countJobsByStatus } from "../data/jobs.ts";
import { listLiveSessions } from "../data/sessions.ts";
import type { Deps } from "../deps.ts";
import type { Authenticated } from "./sessions.ts";

/** A member's usage at a glance. */
export interface UsageStats {
  credits: { balance: number; granted: number; spent: number; refunded: number; expired: number };
  jobs: { total: number; queued: number; running: number; succeeded: number; failed: number };
  sessions: { active: number };
  storage: { bytes: number };
  member_since: string;
}

/**
 * The member's usage: credit totals from the maintained account (so they cost one row whatever
 * the history's length), jobs by status, live sessions, the bytes of their files under
 * `uploads/profiles/<id>/`, and when they joined. Credits past their date count as expired (and
 * not in the balance) even before the expiry job writes them off, so `granted - spent + refunded
 * - expired = balance` always holds.
 */
export async function getUsageStats(deps: Deps, auth: Authenticated): Promise<UsageStats> {
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  // One read transaction, so the credit totals and the lots agree.
  const { account, pending, jobs, sessions } = await readTransaction(deps.db, async (trx) => {
    const account = await findCreditAccount(trx, auth.userId);
    return {
      account,
      pending: account === undefined ? 0 : await pendingExpiry(trx, auth.userId, nowIso),
      jobs: await countJobsByStatus(trx, auth.userId),
      sessions: await listLiveSessions(trx, auth.userId, nowIso),
    };
  });
  const byStatus = {
    queued: jobs.queued ?? 0,
    running: jobs.running ?? 0,
    succeeded: jobs.succeeded ?? 0,
    failed: jobs.failed ?? 0,
  };
  return {
    credits: {
      balance: (account?.balance ?? 0) - pending,
      granted: account?.granted ?? 0,
      spent: account?.spent ?? 0,
      refunded: account?.refunded ?? 0,
      expired: (account?.expired ?? 0) + pending,
    },
    jobs: { total: Object.values(byStatus).reduce((sum, n) => sum + n, 0), ...byStatus },
    sessions: { active: sessions.length },
    storage: { bytes: await folderSize(join(deps.config.uploadDir, "profiles", auth.userId)) },
    member_since: auth.profile.created_at,
  };
}

/** The total size of the files below `dir`, recursively; 0 when it does not exist. */
async function folderSize(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return [];
    throw error;
  });
  let bytes = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const info = await stat(join(entry.parentPath, entry.name)).catch(() => null);
    bytes += info?.size ?? 0;
  }
  return bytes;
}
