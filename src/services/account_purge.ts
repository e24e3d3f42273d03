import { writeTransaction } from "../data/transactions.ts";
import type { Db } from "../data/database.ts";
import { lockMemberDueForPurge } from "../data/dialect.ts";
import type { Deps } from "../deps.ts";
import { templates } from "../mail/templates.ts";
import { audit } from "./audit.ts";
import { pictureFolder } from "./profile_picture.ts";

interface PurgedMember {
  id: string;
  email: string;
}

/**
 * What the purge does with each table, one line per table; the README repeats it. Most of the
 * work is done by the schema's foreign keys when the `users` row goes (ON DELETE CASCADE or SET
 * NULL); `step` is what must happen before that, in the same transaction.
 */
export const DATA_HANDLING: readonly {
  table: string;
  handling: string;
  step?: (trx: Db, m: PurgedMember) => Promise<unknown>;
}[] = [
  {
    table: "users",
    handling: "deleted (profile, email, password hash); the address is free again",
  },
  { table: "sessions", handling: "deleted (cascade)" },
  { table: "refresh_tokens", handling: "deleted (cascade through sessions)" },
  { table: "email_tokens", handling: "deleted (cascade)" },
  {
    table: "outbox",
    handling:
      "every message to or about the member deleted, pending or sent; the final notice is forgotten once sent",
    step: (trx, m) =>
      trx.deleteFrom("outbox").where((eb) =>
        eb.or([eb("user_id", "=", m.id), eb("recipient", "=", m.email)])
      )
        .execute(),
  },
  {
    table: "audit_events",
    handling:
      "kept without personal data: owner, IP, user agent and details removed; event and time stay",
    step: (trx, m) =>
      trx.updateTable("audit_events")
        .set({ user_id: null, ip_address: null, user_agent: null, details: null })
        .where("user_id", "=", m.id).execute(),
  },
  {
    table: "credit_accounts",
    handling: "kept without its owner (user_id NULL): totals only, owning the anonymised ledger",
  },
  { table: "credit_lots", handling: "deleted (cascade)" },
  { table: "credit_debit_allocations", handling: "deleted (cascade through lots)" },
  { table: "jobs", handling: "deleted (cascade)" },
  {
    table: "credit_transactions",
    handling: "kept untouched for audit: owned by the ledger account, no longer linked to anyone",
  },
  {
    table: "files",
    handling: "the member's picture folder deleted after the commit; sweep-files catches a crash",
  },
];

/** Hooks tests use to interrupt the purge where a crash could happen. */
export interface PurgeOptions {
  /** Called after a member's transaction commits, before their files are deleted. */
  beforeFileDeletion?: (memberId: string) => void | Promise<void>;
  batchSize?: number;
}

/**
 * Purges every account whose deletion date has passed, in batches, each member in its own
 * transaction (see `DATA_HANDLING`), yielding to the event loop between batches so requests keep
 * flowing. A final notice to each address is enqueued (the caller nudges delivery once, after).
 * Idempotent and crash-safe: the database part commits whole or not at all, and every run ends by
 * deleting picture folders whose member no longer exists, so a run after a crash leaves no orphan
 * row or file.
 */
export async function purgeDueAccounts(
  deps: Deps,
  now: Date,
  options: PurgeOptions = {},
): Promise<{ accounts_purged: number; orphan_folders_removed: number }> {
  const batchSize = options.batchSize ?? 100;
  let purged = 0;
  for (;;) {
    const due = await deps.db.selectFrom("users").select(["id", "email"])
      .where("status", "=", "pending_deletion")
      .where("deletion_date", "<=", now.toISOString())
      .orderBy("deletion_date").orderBy("id").limit(batchSize).execute();
    if (due.length === 0) break;
    for (const member of due) {
      if (!await purgeMember(deps, member, now)) continue;
      purged++;
      await options.beforeFileDeletion?.(member.id);
      await deps.uploads.removeFolder(pictureFolder(member.id));
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return { accounts_purged: purged, orphan_folders_removed: await removeOrphanFolders(deps) };
}

/** Purges one member in one transaction; `false` when they are no longer due
 * (another purge took them, or they signed in and restored the account). */
async function purgeMember(deps: Deps, member: PurgedMember, now: Date): Promise<boolean> {
  return await writeTransaction(deps.db, async (trx) => {
    if (!await lockMemberDueForPurge(trx, member.id, now.toISOString())) return false;
    for (const { step } of DATA_HANDLING) await step?.(trx, member);
    await trx.deleteFrom("users").where("id", "=", member.id).execute();
    await deps.outbox.enqueue(trx, {
      userId: null,
      kind: "account_purged",
      to: member.email,
      forgetAfterSend: true,
      ...templates.accountPurged(deps.config.productName),
    });
    await audit(trx, "account.purged", null, { ip: null, userAgent: null }, now);
    return true;
  });
}

/** Deletes the picture folders of members who no longer exist (a purge interrupted mid-way). */
async function removeOrphanFolders(deps: Deps): Promise<number> {
  const folders = new Set((await deps.uploads.list("profiles")).map((f) => f.key.split("/")[1]));
  let removed = 0;
  for (const id of folders) {
    const exists = await deps.db.selectFrom("users").select("id").where("id", "=", id)
      .executeTakeFirst();
    if (exists) continue;
    await deps.uploads.removeFolder(pictureFolder(id));
    removed++;
  }
  return removed;
}
