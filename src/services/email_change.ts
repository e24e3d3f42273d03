import { writeTransaction } from "../data/transactions.ts";
import { findUserByEmail, findUserById, isUniqueViolation, updateUser } from "../data/users.ts";
import type { Deps } from "../deps.ts";
import { templates } from "../mail/templates.ts";
import { normalizeEmail } from "./accounts.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { spendToken } from "./email_tokens.ts";
import { enqueueLinkMail } from "./link_mail.ts";
import { DomainError } from "./errors.ts";
import type { Authenticated } from "./sessions.ts";

/**
 * Starts an email change: checks the password and that the new address is free, then mails a
 * single-use link (24 h) to the new address. The address changes only when the link is used; a
 * newer request supersedes older pending ones.
 * @throws {DomainError} `INVALID_PASSWORD`, `EMAIL_TAKEN`, `SAME_EMAIL`
 */
export async function requestEmailChange(
  deps: Deps,
  auth: Authenticated,
  input: { new_email: string; password: string },
  meta: RequestMeta,
): Promise<{ email: string }> {
  const newEmail = normalizeEmail(input.new_email);
  const user = await findUserById(deps.db, auth.userId);
  if (user === undefined || !await deps.passwords.verify(user.password_hash, input.password)) {
    throw new DomainError("INVALID_PASSWORD");
  }
  if (newEmail === user.email) throw new DomainError("SAME_EMAIL");
  if (await findUserByEmail(deps.db, newEmail)) throw new DomainError("EMAIL_TAKEN");
  const now = deps.clock.now();
  await writeTransaction(deps.db, async (trx) => {
    await enqueueLinkMail(deps, trx, {
      userId: user.id,
      purpose: "change_email",
      to: newEmail,
      now,
      newEmail: newEmail,
      mail: templates.confirmEmailChange(
        deps.config.productName,
        deps.config.emailLinkBaseUrl,
        newEmail,
      ),
    });
    await audit(trx, "email.change_requested", user.id, meta, now);
  });
  deps.outbox.nudge();
  return { email: newEmail };
}

/**
 * Completes an email change with the token mailed to the new address. The address must still be
 * free; it counts as verified (the link proves it), and the old address is told.
 * @throws {DomainError} `INVALID_VERIFICATION_TOKEN`, `EMAIL_TAKEN`
 */
export async function confirmEmailChange(
  deps: Deps,
  token: string,
  meta: RequestMeta,
): Promise<{ email: string }> {
  const now = deps.clock.now();
  try {
    const email = await writeTransaction(deps.db, async (trx) => {
      const spent = await spendToken(trx, token, "change_email", now);
      const user = spent && await findUserById(trx, spent.user_id);
      if (!spent?.new_email || !user) throw new DomainError("INVALID_VERIFICATION_TOKEN");
      if (await findUserByEmail(trx, spent.new_email)) throw new DomainError("EMAIL_TAKEN");
      await updateUser(trx, user.id, {
        email: spent.new_email,
        email_verified_at: now.toISOString(),
        updated_at: now.toISOString(),
      });
      await deps.outbox.enqueue(trx, {
        userId: user.id,
        kind: "email_changed",
        to: user.email,
        ...templates.emailChanged(deps.config.productName, spent.new_email),
      });
      await audit(trx, "email.changed", user.id, meta, now);
      return spent.new_email;
    });
    deps.outbox.nudge();
    return { email };
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("EMAIL_TAKEN");
    throw error;
  }
}
