import { supersedeEmailTokens, supersedeLaterEmailTokens } from "../data/email_tokens.ts";
import { revokeSessions } from "../data/sessions.ts";
import { findUserByEmail, findUserById, isUniqueViolation, updateUser } from "../data/users.ts";
import type { Deps } from "../deps.ts";
import { templates } from "../mail/templates.ts";
import { normalizeEmail } from "./accounts.ts";
import { isAddressAvailable } from "./address_availability.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { isTokenUsable, spendToken } from "./email_tokens.ts";
import { enqueueLinkMail } from "./link_mail.ts";
import { commitChange } from "./change.ts";
import { DomainError } from "./errors.ts";
import { confirmItIsTheMember } from "./reauthentication.ts";
import type { Authenticated } from "./sessions.ts";
import { generateOpaqueToken } from "./tokens.ts";

/**
 * Starts an email change: checks the password (or, for a member without one, a recent sign-in;
 * see `confirmItIsTheMember`) and that the new address is free, then mails a
 * single-use link (24 h) to the new address. The address changes only when the link is used; a
 * newer request supersedes older pending ones.
 * @throws {DomainError} `INVALID_PASSWORD`, `RECENT_SIGN_IN_REQUIRED`, `EMAIL_TAKEN`, `SAME_EMAIL`,
 *   `RATE_LIMITED` (requests per member, `RATE_LIMIT_EMAIL_CHANGE`; wrong passwords count against
 *   the account as on sign-in)
 */
export async function requestEmailChange(
  deps: Deps,
  auth: Authenticated,
  input: { new_email: string; password?: string },
  meta: RequestMeta,
): Promise<{ email: string }> {
  const now = deps.clock.now();
  // Every request counts, answered or refused: `Email already registered` is an address oracle.
  await deps.rateLimiter.consume(
    `email-change:${auth.userId}`,
    deps.config.rateLimits.emailChangePerUser,
    now,
  );
  const newEmail = normalizeEmail(input.new_email);
  const user = await confirmItIsTheMember(
    deps,
    auth,
    await findUserById(deps.db, auth.userId),
    input.password,
    meta,
  );
  if (newEmail === user.email) throw new DomainError("SAME_EMAIL");
  if (!await isAddressAvailable(deps.db, newEmail, now, user.id)) {
    throw new DomainError("EMAIL_TAKEN");
  }
  await commitChange(deps, async (trx) => {
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
  return { email: newEmail };
}

/**
 * Completes an email change with the token mailed to the new address. The address must still be
 * free; it counts as verified (the link proves it), and the old address is told, with a "this
 * wasn't me" link (see `revertEmailChange`).
 * @throws {DomainError} `INVALID_VERIFICATION_TOKEN`, `EMAIL_TAKEN`
 */
export async function confirmEmailChange(
  deps: Deps,
  token: string,
  meta: RequestMeta,
): Promise<{ email: string }> {
  const now = deps.clock.now();
  try {
    const email = await commitChange(deps, async (trx, events) => {
      const spent = await spendToken(trx, token, "change_email", now);
      const user = spent && await findUserById(trx, spent.user_id);
      if (!spent?.new_email || !user) throw new DomainError("INVALID_VERIFICATION_TOKEN");
      if (!await isAddressAvailable(trx, spent.new_email, now, user.id)) {
        throw new DomainError("EMAIL_TAKEN");
      }
      await updateUser(trx, user.id, {
        email: spent.new_email,
        email_verified_at: now.toISOString(),
        updated_at: now.toISOString(),
      });
      await events.webhook("user.email_changed", {
        user_id: user.id,
        old_email: user.email,
        new_email: spent.new_email,
      });
      // The old address is told, with a "this wasn't me" link that restores it (7 days).
      await enqueueLinkMail(deps, trx, {
        userId: user.id,
        purpose: "revert_email_change",
        kind: "email_changed",
        to: user.email,
        now,
        newEmail: user.email,
        mail: templates.emailChanged(
          deps.config.productName,
          deps.config.emailLinkBaseUrl,
          spent.new_email,
        ),
      });
      await audit(trx, "email.changed", user.id, meta, now);
      return spent.new_email;
    });
    return { email };
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("EMAIL_TAKEN");
    throw error;
  }
}

/**
 * Undoes an email change with the "this wasn't me" link sent to the old address, in one
 * transaction: the account gets back the address the link was sent to (verified: the link proves
 * it), even after later changes; every session is revoked; the password stops working (replaced
 * by the hash of a random secret, since whoever changed the address knew it); pending email
 * changes and verification links stop working; and a reset link goes to the restored address.
 *
 * Each link is single use and valid 7 days. Using one silences the links of later changes (an
 * attacker's own link could otherwise take the account back), never those of earlier ones: the
 * oldest address wins. When another account holds the address by now, nothing changes and the
 * link stays usable.
 * @throws {DomainError} `INVALID_REVERT_TOKEN` (unknown, used, superseded or expired),
 *   `REVERT_ADDRESS_TAKEN`
 */
export async function revertEmailChange(
  deps: Deps,
  token: string,
  meta: RequestMeta,
): Promise<{ email: string }> {
  const now = deps.clock.now();
  // Checked before the Argon2id hash, so junk tokens cost no hashing.
  if (!await isTokenUsable(deps.db, token, "revert_email_change", now)) {
    throw new DomainError("INVALID_REVERT_TOKEN");
  }
  const unusableHash = await deps.passwords.hash(generateOpaqueToken());
  try {
    const email = await commitChange(deps, async (trx, events) => {
      const spent = await spendToken(trx, token, "revert_email_change", now);
      const user = spent && await findUserById(trx, spent.user_id);
      if (!spent?.new_email || !user) throw new DomainError("INVALID_REVERT_TOKEN");
      const restored = spent.new_email;
      const holder = await findUserByEmail(trx, restored);
      if (holder !== undefined && holder.id !== user.id) {
        throw new DomainError("REVERT_ADDRESS_TAKEN");
      }
      const at = now.toISOString();
      await updateUser(trx, user.id, {
        email: restored,
        email_verified_at: at,
        password_hash: unusableHash,
        updated_at: at,
      });
      const revoked = await revokeSessions(trx, user.id, at, "email_change_reverted");
      if (restored !== user.email) {
        await events.webhook("user.email_changed", {
          user_id: user.id,
          old_email: user.email,
          new_email: restored,
        });
      }
      await events.webhook("user.sessions_revoked", {
        user_id: user.id,
        reason: "email_change_reverted",
        count: revoked.length,
      });
      await supersedeLaterEmailTokens(trx, user.id, "revert_email_change", spent.id, at);
      await supersedeEmailTokens(trx, user.id, "change_email", at);
      await supersedeEmailTokens(trx, user.id, "verify_email", at);
      await enqueueLinkMail(deps, trx, {
        userId: user.id,
        purpose: "reset_password", // supersedes any reset link sent to the replaced address
        kind: "email_change_reverted",
        to: restored,
        now,
        mail: templates.emailChangeReverted(
          deps.config.productName,
          deps.config.emailLinkBaseUrl,
          restored,
        ),
      });
      await audit(trx, "email.change_reverted", user.id, meta, now, {
        sessions_revoked: revoked.length,
      });
      return restored;
    });
    return { email };
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("REVERT_ADDRESS_TAKEN");
    throw error;
  }
}
