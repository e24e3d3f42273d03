import { revokeSessions } from "../data/sessions.ts";
import { findUserByEmail, updateUser } from "../data/users.ts";
import type { Deps } from "../deps.ts";
import { templates } from "../mail/templates.ts";
import { normalizeEmail } from "./accounts.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { isTokenUsable, spendToken } from "./email_tokens.ts";
import { enqueueLinkMail } from "./link_mail.ts";
import { announcePasswordChange, commitChange } from "./change.ts";
import { DomainError } from "./errors.ts";
import { meetsPasswordRequirements } from "./passwords.ts";

/**
 * Asks for a password reset link. Answers the same way, in the same time, whether or not the
 * address has an account: the lookup and the mail happen after the answer, off the request.
 * Rate limits (per IP and per address) count every request, known address or not.
 * @throws {DomainError} `RATE_LIMITED`
 */
export async function requestPasswordReset(
  deps: Deps,
  email: string,
  meta: RequestMeta,
): Promise<void> {
  const now = deps.clock.now();
  const address = normalizeEmail(email);
  const { passwordForgotPerIp, passwordForgotPerEmail } = deps.config.rateLimits;
  await deps.rateLimiter.consume(`forgot-ip:${meta.ip}`, passwordForgotPerIp, now);
  await deps.rateLimiter.consume(`forgot-email:${address}`, passwordForgotPerEmail, now);
  deps.background.run("password reset mail", () => sendResetLink(deps, address, meta, now));
}

async function sendResetLink(
  deps: Deps,
  email: string,
  meta: RequestMeta,
  now: Date,
): Promise<void> {
  const user = await findUserByEmail(deps.db, email);
  if (user === undefined) return;
  await commitChange(deps, async (trx) => {
    await enqueueLinkMail(deps, trx, {
      userId: user.id,
      purpose: "reset_password",
      to: user.email,
      now,
      mail: templates.resetPassword(deps.config.productName, deps.config.emailLinkBaseUrl),
    });
    await audit(trx, "password.reset_requested", user.id, meta, now);
  });
}

/**
 * Sets a new password with a reset token (single use, 1 h). Every session is revoked and the
 * member is told by mail. Using the link also proves the address, so it counts as verified.
 * @throws {DomainError} `INVALID_RESET_TOKEN`, `WEAK_PASSWORD`
 */
export async function resetPassword(
  deps: Deps,
  input: { token: string; new_password: string },
  meta: RequestMeta,
): Promise<void> {
  if (!meetsPasswordRequirements(input.new_password)) throw new DomainError("WEAK_PASSWORD");
  const now = deps.clock.now();
  // Checked before the (slow) hash so a guessed token costs no Argon2id; spent atomically below.
  if (!await isTokenUsable(deps.db, input.token, "reset_password", now)) {
    throw new DomainError("INVALID_RESET_TOKEN");
  }
  const passwordHash = await deps.passwords.hash(input.new_password);
  const at = now.toISOString();
  const reset = await commitChange(deps, async (trx, events) => {
    const spent = await spendToken(trx, input.token, "reset_password", now);
    if (spent === undefined) return false;
    const user = await updateUser(trx, spent.user_id, {
      password_hash: passwordHash,
      updated_at: at,
    });
    if (user === undefined) return false;
    if (user.email_verified_at === null) {
      await updateUser(trx, user.id, { email_verified_at: at });
      await events.webhook("user.email_verified", { user_id: user.id, email: user.email });
    }
    const revoked = await revokeSessions(trx, user.id, at, "password_reset");
    await announcePasswordChange(events, user.id, "reset", revoked.length);
    await events.mail({
      userId: user.id,
      kind: "password_changed",
      to: user.email,
      ...templates.passwordChanged(deps.config.productName, "reset"),
    });
    await audit(trx, "password.reset", user.id, meta, now, { sessions_revoked: revoked.length });
    return true;
  });
  if (!reset) throw new DomainError("INVALID_RESET_TOKEN");
}
