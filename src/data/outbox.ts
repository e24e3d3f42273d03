import type { Insertable, Selectable } from "kysely";
import type { Db, OutboxTable } from "./database.ts";

/** An outbox row as the deliverer reads it. */
export type OutboxRow = Selectable<OutboxTable>;

/** Writes messages (one statement) in the caller's transaction: they exist exactly when their cause commits. */
export async function insertOutboxMessages(
  trx: Db,
  rows: Insertable<OutboxTable>[],
): Promise<void> {
  if (rows.length > 0) await trx.insertInto("outbox").values(rows).execute();
}

/** Up to `limit` pending messages due at `now`, oldest first. */
export async function dueOutboxMessages(
  db: Db,
  now: string,
  limit: number,
): Promise<OutboxRow[]> {
  return await db.selectFrom("outbox").selectAll()
    .where("status", "=", "pending")
    .where("next_attempt_at", "<=", now)
    .orderBy("id").limit(limit).execute();
}

/**
 * Leases a pending message until `leaseUntil` (and fixes its `Message-ID`), only if it is still as
 * this process read it: one conditional update, so of several processes exactly one gets `true`.
 */
export async function claimOutboxMessage(
  db: Db,
  row: Pick<OutboxRow, "id" | "next_attempt_at">,
  leaseUntil: string,
  messageId: string,
): Promise<boolean> {
  const claimed = await db.updateTable("outbox")
    .set({ next_attempt_at: leaseUntil, message_id: messageId })
    .where("id", "=", row.id).where("status", "=", "pending")
    .where("next_attempt_at", "=", row.next_attempt_at)
    .executeTakeFirst();
  return claimed.numUpdatedRows === 1n;
}

/** Deletes a sent message that must leave no trace of its recipient (the purge's final notice). */
export async function forgetOutboxMessage(db: Db, id: number): Promise<void> {
  await db.deleteFrom("outbox").where("id", "=", id).execute();
}

/** Marks a message sent; its sealed link token is dropped. */
export async function markOutboxSent(
  db: Db,
  id: number,
  sentAt: string,
  attempts: number,
): Promise<void> {
  await db.updateTable("outbox")
    .set({ status: "sent", sent_at: sentAt, attempts, secret_sealed: null, last_error: null })
    .where("id", "=", id).execute();
}

/** Records a failed attempt: its error, and when to try again (or `failed` for good). */
export async function markOutboxAttemptFailed(
  db: Db,
  id: number,
  failure: { attempts: number; lastError: string; retryAt: string; givenUp: boolean },
): Promise<void> {
  await db.updateTable("outbox")
    .set({
      attempts: failure.attempts,
      last_error: failure.lastError,
      next_attempt_at: failure.retryAt,
      status: failure.givenUp ? "failed" : "pending",
    })
    .where("id", "=", id).execute();
}

/** Deletes every message to or about the members (the purge), pending or sent, in one statement. */
export async function deleteOutboxMessagesOf(
  trx: Db,
  members: readonly { id: string; email: string }[],
) {
  if (members.length === 0) return;
  await trx.deleteFrom("outbox").where((eb) =>
    eb.or([
      eb("user_id", "in", members.map((m) => m.id)),
      eb("recipient", "in", members.map((m) => m.email)),
    ])
  ).execute();
}
