import { writeTransaction } from "../data/transactions.ts";
import type { Db } from "../data/database.ts";
import { revokeSessions } from "../data/sessions.ts";
import { findUserById, updateUser } from "../data/users.ts";
import type { Deps } from "../deps.ts";
import { templates } from "../mail/templates.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { spendToken } from "./email_tokens.ts";
import { enqueueLinkMail } from "./link_mail.ts";
import { supersedeEmailTokens } from "../data/email_tokens.ts";
import { DomainError } from "./errors.ts";
import type { Authenticated } from "./sessions.ts";

/** The phrase a member types to confirm that they mean it. */
export const DELETION_PHRASE = "DELETE MY ACCOUNT";

/**
 * Schedules the member's account for deletion after `DELETION_GRACE_DAYS`. In one transaction:
 * status `pending_deletion` with its date, every session revoked (the next request with any of
 * the member's tokens is 401), and a mail with the date and a one-click cancel link.
 * @throws {DomainError} `INVALID_PASSWORD`
 */
export async function requestDeletion(
  deps: Deps,
  auth: Authenticated,
  password: string,
  meta: RequestMeta,
): Promise<{ deletion_date: string }> {
  const user = await findUserById(deps.db, auth.userId);
  if (user === undefined || !await deps.passwords.verify(user.password_hash, password)) {
    throw new DomainError("INVALID_PASSWORD");
  }
  const now = deps.clock.now();
  const deletionDate = new Date(now.getTime() + deps.config.deletionGraceDays * 86_400_000)
    .toISOString();
  await writeTransaction(deps.db, async (trx) => {
    await updateUser(trx, user.id, {
      status: "pending_deletion",
      deletion_date: deletionDate,
      updated_at: now.toISOString(),
    });
    const revoked = await revokeSessions(trx, user.id, now.toISOString(), "account_deletion");
    await enqueueLinkMail(deps, trx, {
      userId: user.id,
      purpose: "cancel_deletion",
      to: user.email,
      now,
      mail: templates.deletionScheduled(
        deps.config.productName,
        deps.config.emailLinkBaseUrl,
        deletionDate,
      ),
    });
    await audit(trx, "account.deletion_requested", user.id, meta, now, {
      deletion_date: deletionDate,
      sessions_revoked: revoked.length,
    });
  });
  deps.outbox.nudge();
  return { deletion_date: deletionDate };
}

/**
 * Restores an account pending deletion, in the caller's transaction: status `active`, no date,
 * the remaining cancel links spent, and a mail that confirms it. Used by sign-in and by the link.
 */
export async function restoreAccount(
  deps: Deps,
  trx: Db,
  user: { id: string; email: string },
  meta: RequestMeta,
  now: Date,
  via: "sign_in" | "link",
): Promise<void> {
  await updateUser(trx, user.id, {
    status: "active",
    deletion_date: null,
    updated_at: now.toISOString(),
  });
  await supersedeEmailTokens(trx, user.id, "cancel_deletion", now.toISOString());
  await deps.outbox.enqueue(trx, {
    userId: user.id,
    kind: "deletion_cancelled",
    to: user.email,
    ...templates.deletionCancelled(deps.config.productName),
  });
  await audit(trx, "account.deletion_cancelled", user.id, meta, now, { via });
}

/**
 * Cancels a pending deletion with the token from the deletion mail (single use, valid until the
 * deletion date). The member signs in again afterwards: their sessions stay revoked.
 * @throws {DomainError} `INVALID_CANCELLATION_TOKEN` for an unknown, used or late token
 */
export async function cancelDeletion(deps: Deps, token: string, meta: RequestMeta): Promise<void> {
  const now = deps.clock.now();
  const cancelled = await writeTransaction(deps.db, async (trx) => {
    const spent = await spendToken(trx, token, "cancel_deletion", now);
    const user = spent && await findUserById(trx, spent.user_id);
    if (
      !user || user.status !== "pending_deletion" || user.deletion_date === null ||
      user.deletion_date <= now.toISOString()
    ) throw new DomainError("INVALID_CANCELLATION_TOKEN"); // rolls the spend back too
    await restoreAccount(deps, trx, user, meta, now, "link");
    return true;
  });
  if (cancelled) deps.outbox.nudge();
}
