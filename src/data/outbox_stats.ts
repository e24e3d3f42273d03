import type { Db } from "./database.ts";

/** How much mail waits to be sent. */
export interface OutboxStats {
  /** Messages still pending (not yet sent, not given up on). */
  pending: number;
  /** When the oldest pending message was written, or `null` when none is pending. */
  oldestPendingAt: Date | null;
}

/**
 * The outbox's backlog in one query over the pending rows (found through the `outbox_due`
 * index), cheap enough to run on every metrics scrape.
 */
export async function outboxStats(db: Db): Promise<OutboxStats> {
  const row = await db.selectFrom("outbox")
    .select((eb) => [eb.fn.countAll<number>().as("pending"), eb.fn.min("created_at").as("oldest")])
    .where("status", "=", "pending")
    .executeTakeFirstOrThrow();
  return {
    pending: Number(row.pending),
    oldestPendingAt: row.oldest === null ? null : new Date(row.oldest),
  };
}
