import type { Db } from "./database.ts";

/** A security event as written to the audit table. */
export interface AuditEvent {
  userId: string | null;
  event: string;
  ip: string | null;
  userAgent: string | null;
  details?: Record<string, unknown>;
  at: string;
}

/**
 * The statement that appends events (one or more, one statement): run it in the transaction of
 * their cause (or in the same `CommitThread` batch) so they commit with it.
 */
export function auditEventInsert(db: Db, ...events: AuditEvent[]) {
  return db.insertInto("audit_events").values(events.map((e) => ({
    user_id: e.userId,
    event: e.event,
    ip_address: e.ip,
    user_agent: e.userAgent,
    details: e.details === undefined ? null : JSON.stringify(e.details),
    created_at: e.at,
  })));
}

/** Removes what names the members from their audit events (owner, address, agent, details). */
export async function anonymiseAuditEventsOf(trx: Db, userIds: readonly string[]) {
  if (userIds.length === 0) return;
  await trx.updateTable("audit_events")
    .set({ user_id: null, ip_address: null, user_agent: null, details: null })
    .where("user_id", "in", userIds).execute();
}
