import { writeTransaction } from "../data/transactions.ts";
import type { Db } from "../data/database.ts";
import { findUserById, updateUser } from "../data/users.ts";
import type { Deps } from "../deps.ts";
import { templates } from "../mail/templates.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { spendToken } from "./email_tokens.ts";
import { enqueueLinkMail } from "./link_mail.ts";
import { DomainError } from "./errors.ts";
import type { Authenticated } from "./sessions.ts";

/** Enqueues a verification link for `email` in the caller's transaction. */
export async function enqueueVerificationMail(
  deps: Deps,
  trx: Db,
  user: { id: string; email: string },
  now: Date,
): Promise<void> {
  await enqueueLinkMail(deps, trx, {
    userId: user.id,
    purpose: "verify_email",
    to: user.email,
    now,
    mail: templates.verifyEmail(deps.config.productName, deps.config.emailLinkBaseUrl),
  });
}

/**
 * Marks the member's email verified with a token from the verification mail.
 * @throws {DomainError} `INVALID_VERIFICATION_TOKEN` for an unknown, used, superseded, expired
 *   or other-purpose token
 */
export async function verifyEmail(
  deps: Deps,
  token: string,
  meta: RequestMeta,
): Promise<{ email: string }> {
  const now = deps.clock.now();
  const email = await writeTransaction(deps.db, async (trx) => {
    const spent = await spendToken(trx, token, "verify_email", now);
    if (spent === undefined) return undefined;
    const user = await findUserById(trx, spent.user_id);
    if (user === undefined) return undefined;
    if (user.email_verified_at === null) {
      await updateUser(trx, user.id, {
        email_verified_at: now.toISOString(),
        updated_at: now.toISOString(),
      });
    }
    await audit(trx, "email.verified", user.id, meta, now);
    return user.email;
  });
  if (email === undefined) throw new DomainError("INVALID_VERIFICATION_TOKEN");
  return { email };
}

/**
 * Sends a new verification link (superseding the earlier ones).
 * @throws {DomainError} `ALREADY_VERIFIED`, `RATE_LIMITED` (per member)
 */
export async function resendVerification(
  deps: Deps,
  auth: Authenticated,
  meta: RequestMeta,
): Promise<void> {
  if (auth.profile.email_verified) throw new DomainError("ALREADY_VERIFIED");
  const now = deps.clock.now();
  deps.rateLimiter.consume(
    `verify-resend:${auth.userId}`,
    deps.config.rateLimits.verificationResendPerUser,
    now,
  );
  await writeTransaction(deps.db, async (trx) => {
    await enqueueVerificationMail(deps, trx, { id: auth.userId, email: auth.profile.email }, now);
    await audit(trx, "email.verification_sent", auth.userId, meta, now);
  });
  deps.outbox.nudge();
}
