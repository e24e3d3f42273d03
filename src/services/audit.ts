import { type AuditEvent, auditEventInsert } from "../data/audit_events.ts";
import type { Db } from "../data/database.ts";

/** Who made a request: what the audit trail and the session list record. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

/** The security events Vestibule records; later capabilities add theirs here. */
export type AuditEventName =
  | "user.registered"
  | "sign_in.succeeded"
  | "sign_in.failed"
  | "refresh_token.reused"
  | "password.changed"
  | "session.revoked"
  | "sessions.revoked_all"
  | "profile.updated"
  | "email.verification_sent"
  | "email.verified"
  | "email.change_requested"
  | "email.changed"
  | "email.change_reverted"
  | "password.reset_requested"
  | "password.reset"
  | "profile_picture.updated"
  | "profile_picture.removed"
  | "account.deletion_requested"
  | "account.deletion_cancelled"
  | "account.purged"
  | "credits.granted"
  | "job.created"
  | "job.status_changed"
  | "identity.linked"
  | "identity.unlinked"
  | "oauth.code_reused"
  | "webhook.created"
  | "webhook.updated"
  | "webhook.deleted"
  | "webhook.secret_rotated"
  | "webhook.delivery_retried";

/** Records a security event in the caller's transaction, so it commits (or not) with its cause. */
export async function audit(...event: Parameters<typeof auditWrite>): Promise<void> {
  await auditWrite(...event).execute();
}

/** The statement `audit` runs, for a `CommitThread` batch. */
export function auditWrite(
  db: Db,
  event: AuditEventName,
  userId: string | null,
  meta: RequestMeta,
  at: Date,
  details?: AuditEvent["details"],
) {
  return auditEventInsert(db, {
    event,
    userId,
    ip: meta.ip,
    userAgent: meta.userAgent,
    details,
    at: at.toISOString(),
  });
}
