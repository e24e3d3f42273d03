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
 * The statement that appends one event: run it in the transaction of its cause (or in the same
 * `CommitThread` batch) so the event commits with it.
 */
export function auditEventInsert(db: Db, e: AuditEvent) {
  return db.insertInto("audit_events").values({
    user_id: e.userId,
    event: e.event,
    ip_address: e.ip,
    user_agent: e.userAgent,
    details: e.details === undefined ? null : JSON.stringify(e.details),
    created_at: e.at,
  });
}

/** Removes what names a member from their audit events (owner, address, agent, details). */
export async function anonymiseAuditEventsOf(trx: Db, userId: string) {
  return await trx.updateTable("audit_events")
    .set({ user_id: null, ip_address: null, user_agent: null, details: null })
    .where("user_id", "=", userId).execute();
}
