import { writeTransaction } from "../data/transactions.ts";
import type { Db } from "../data/database.ts";
import { lockMembersDueForPurge } from "../data/dialect.ts";
import type { Deps } from "../deps.ts";
import { templates } from "../mail/templates.ts";
import type { AuditEventName } from "./audit.ts";
import { pictureFolder } from "./profile_picture.ts";
import { emitWebhooks } from "./webhooks.ts";
import { deleteSettledDeliveriesOf } from "../data/webhooks.ts";
import { anonymiseAuditEventsOf, auditEventInsert } from "../data/audit_events.ts";
import { deleteOutboxMessagesOf } from "../data/outbox.ts";
import { deleteUsers, membersDueForPurge, userExists } from "../data/users.ts";

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
  /** One statement for all the members of a purge transaction. */
  step?: (trx: Db, members: readonly PurgedMember[]) => Promise<unknown>;
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
    step: (trx, members) => deleteOutboxMessagesOf(trx, members),
  },
  {
    table: "webhook_deliveries",
    handling:
      "settled deliveries about the member deleted; pending ones go out in order, ending with user.purged (the id only), then age out",
    step: (trx, members) => deleteSettledDeliveriesOf(trx, members.map((m) => m.id)),
  },
  {
    table: "audit_events",
    handling:
      "kept without personal data: owner, IP, user agent and details removed; event and time stay",
    step: (trx, members) => anonymiseAuditEventsOf(trx, members.map((m) => m.id)),
  },
  {
    table: "credit_accounts",
    handling: "kept without its owner (user_id NULL): totals only, owning the anonymised ledger",
  },
  { table: "credit_lots", handling: "deleted (cascade)" },
  { table: "credit_debit_allocations", handling: "deleted (cascade through lots)" },
  { table: "jobs", handling: "deleted (cascade)" },
  { table: "identities", handling: "deleted (cascade): the Google identity is free again" },
  { table: "oauth_states", handling: "the member's links in flight deleted (cascade)" },
  { table: "oauth_codes", handling: "deleted (cascade)" },
  {
    table: "rate_limits",
    handling: "nothing to do: keys are stored as SHA-256, so no row names the member",
  },
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

/** Members purged in one transaction: fewer commits (and round trips), short write locks. */
const MEMBERS_PER_TRANSACTION = 25;

/**
 * Purges every account whose deletion date has passed, in batches, up to 25 members per
 * transaction (see `DATA_HANDLING`), yielding to the event loop between batches so requests keep
 * flowing. A final notice to each address and a `user.purged` webhook event (the id only) are
 * queued in the member's transaction (the caller nudges both deliverers once, after).
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
    const due = await membersDueForPurge(deps.db, now.toISOString(), batchSize);
    if (due.length === 0) break;
    for (let i = 0; i < due.length; i += MEMBERS_PER_TRANSACTION) {
      for (
        const member of await purgeMembers(deps, due.slice(i, i + MEMBERS_PER_TRANSACTION), now)
      ) {
        purged++;
        await options.beforeFileDeletion?.(member.id);
        await deps.uploads.removeFolder(pictureFolder(member.id));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return { accounts_purged: purged, orphan_folders_removed: await removeOrphanFolders(deps) };
}

/**
 * Purges members in one transaction and returns those it purged: a member no longer due (another
 * purge took them, or they signed in and restored the account) is left alone. Each step is one
 * statement for all of them (a round trip per statement on PostgreSQL), not one per member.
 */
async function purgeMembers(
  deps: Deps,
  members: PurgedMember[],
  now: Date,
): Promise<PurgedMember[]> {
  return await writeTransaction(deps.db, async (trx) => {
    const due = await lockMembersDueForPurge(trx, members.map((m) => m.id), now.toISOString());
    const taken = members.filter((member) => due.has(member.id));
    if (taken.length === 0) return [];
    for (const { step } of DATA_HANDLING) await step?.(trx, taken);
    await deleteUsers(trx, taken.map((m) => m.id));
    const notice = templates.accountPurged(deps.config.productName);
    await deps.outbox.enqueue(
      trx,
      ...taken.map((member) => ({
        userId: null,
        kind: "account_purged",
        to: member.email,
        forgetAfterSend: true,
        ...notice,
      })),
    );
    await auditEventInsert(
      trx,
      ...taken.map(() => ({
        event: "account.purged" satisfies AuditEventName,
        userId: null,
        ip: null,
        userAgent: null,
        at: now.toISOString(),
      })),
    ).execute();
    await emitWebhooks(deps, trx, "user.purged", taken.map((member) => ({ user_id: member.id })));
    return taken;
  });
}

/** Deletes the picture folders of members who no longer exist (a purge interrupted mid-way). */
async function removeOrphanFolders(deps: Deps): Promise<number> {
  const folders = new Set((await deps.uploads.list("profiles")).map((f) => f.key.split("/")[1]));
  let removed = 0;
  for (const id of folders) {
    if (await userExists(deps.db, id)) continue;
    await deps.uploads.removeFolder(pictureFolder(id));
    removed++;
  }
  return removed;
}
