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

/** Appends one event; callers pass their transaction so the event commits with its cause. */
export async function insertAuditEvent(db: Db, e: AuditEvent): Promise<void> {
  await db.insertInto("audit_events").values({
    user_id: e.userId,
    event: e.event,
    ip_address: e.ip,
    user_agent: e.userAgent,
    details: e.details === undefined ? null : JSON.stringify(e.details),
    created_at: e.at,
  }).execute();
}
