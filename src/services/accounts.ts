import {
  findPasswordHash,
  findUserById,
  findUserForSignIn,
  insertUser,
  isUniqueViolation,
  updateUser,
  type UserRecord,
} from "../data/users.ts";
import { revokeSessions } from "../data/sessions.ts";
import type { Deps } from "../deps.ts";
import { templates } from "../mail/templates.ts";
import { isAddressAvailable } from "./address_availability.ts";
import { audit, auditWrite, type RequestMeta } from "./audit.ts";
import { enqueueVerificationMail } from "./email_verification.ts";
import { restoreAccount } from "./account_deletion.ts";
import { announcePasswordChange, commitChange } from "./change.ts";
import { DomainError } from "./errors.ts";
import {
  assertPasswordAttemptAllowed,
  passwordAccountKey,
  recordPasswordFailure,
  recordPasswordSuccess,
  verifyMemberPassword,
} from "./password_attempts.ts";
import { hasPassword, meetsPasswordRequirements } from "./passwords.ts";
import { type Profile, toProfile } from "./profile.ts";
import { type Authenticated, newSession, startSession, type TokenPair } from "./sessions.ts";

/** What registration and sign-in return: a token pair and the member's profile. */
export type SignedIn = TokenPair & { user: Profile; deletion_cancelled?: true };

/** The one place an email address is put into canonical form. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A phone number in E.164 form: `+` and digits, separators dropped. */
export function normalizePhone(phone: string): string {
  return `+${phone.replace(/\D/g, "")}`;
}

function assertPasswordRequirements(password: string): void {
  if (!meetsPasswordRequirements(password)) throw new DomainError("WEAK_PASSWORD");
}

/**
 * Creates an account, signs it in and mails a verification link (in the same transaction). The
 * email is stored lower-cased and is unique case-insensitively. A taken address is refused only
 * after the password has been hashed, so it takes as long as a free one.
 * @throws {DomainError} `EMAIL_TAKEN`, `WEAK_PASSWORD`, `RATE_LIMITED` (per IP)
 */
export async function register(
  deps: Deps,
  input: { email: string; password: string; name?: string | null },
  meta: RequestMeta,
): Promise<SignedIn> {
  const now = deps.clock.now();
  await deps.rateLimiter.consume(`register:${meta.ip}`, deps.config.rateLimits.registerPerIp, now);
  assertPasswordRequirements(input.password);
  const email = normalizeEmail(input.email);
  // Hashed before the address is looked up (and outside the transaction: slow), so a taken address
  // costs the same Argon2id time as a free one and the answer's timing tells nothing.
  const passwordHash = await deps.passwords.hash(input.password);
  if (!await isAddressAvailable(deps.db, email, now)) throw new DomainError("EMAIL_TAKEN");
  const id = crypto.randomUUID();
  const at = now.toISOString();
  try {
    const signedIn = await commitChange(deps, async (trx, events) => {
      await insertUser(trx, {
        id,
        email,
        password_hash: passwordHash,
        name: input.name ?? null,
        subscription_tier: "free",
        role: "member",
        status: "active",
        created_at: at,
        updated_at: at,
      });
      await audit(trx, "user.registered", id, meta, now);
      await enqueueVerificationMail(deps, trx, { id, email }, now);
      await events.webhook("user.created", {
        user_id: id,
        email,
        name: input.name ?? null,
        email_verified: false,
        created_at: at,
      });
      const pair = await startSession(deps, trx, id, meta);
      const user = await findUserById(trx, id);
      return { ...pair, user: toProfile(user!) };
    });
    return signedIn;
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("EMAIL_TAKEN"); // lost a race for the address
    throw error;
  }
}

/**
 * Signs a member in. An unknown email costs one Argon2id verification like a wrong password, and
 * both answer the same. Signing in during the deletion grace period cancels the deletion (and a
 * mail confirms it); past the deletion date the account no longer signs in.
 * @throws {DomainError} `INVALID_CREDENTIALS`; `RATE_LIMITED` per IP (all attempts) and by the
 *   guessing rule of `password_attempts.ts` (failures per account and address, and per account)
 */
export async function login(
  deps: Deps,
  input: { email: string; password: string },
  meta: RequestMeta,
): Promise<SignedIn> {
  const now = deps.clock.now();
  const email = normalizeEmail(input.email);
  await deps.rateLimiter.consume(`login-ip:${meta.ip}`, deps.config.rateLimits.loginPerIp, now);
  const candidate = await findUserForSignIn(deps.db, email);
  const user = candidate?.user;
  const passwordHash = candidate?.passwordHash;
  const account = passwordAccountKey(user, email);
  const failures = await assertPasswordAttemptAllowed(deps, account, meta, now);

  // A member without a password (signed up through Google) never signs in with one.
  const valid = passwordHash === undefined || !hasPassword(passwordHash)
    ? (await deps.passwords.verifyNothing(input.password), false)
    : await deps.passwords.verify(passwordHash, input.password);

  // Past its deletion date an account is gone, whether or not the purge has run yet.
  const purgeDue = user?.status === "pending_deletion" && user.deletion_date !== null &&
    user.deletion_date <= now.toISOString();
  // Sign-ins come at Argon2's pace, under load or attack: their writes commit off the event loop.
  if (user === undefined || !valid || purgeDue) {
    await recordPasswordFailure(deps, account, meta, now);
    deps.metrics.signIn("failed");
    await deps.commits.commit([
      auditWrite(deps.db, "sign_in.failed", user?.id ?? null, meta, now, {
        reason: user === undefined
          ? "unknown_email"
          : purgeDue
          ? "deleted"
          : hasPassword(passwordHash!)
          ? "wrong_password"
          : "no_password",
      }),
    ]);
    throw new DomainError("INVALID_CREDENTIALS");
  }
  await recordPasswordSuccess(deps, account, meta, failures);
  deps.metrics.signIn("succeeded");

  if (user.status === "pending_deletion") {
    return await signInCancellingDeletion(deps, user, meta, now);
  }
  const { writes, pair } = newSession(deps, deps.db, user.id, meta);
  await deps.commits.commit([
    auditWrite(deps.db, "sign_in.succeeded", user.id, meta, now),
    ...writes,
  ]);
  return { ...pair, user: toProfile(user) };
}

/** A sign-in during the grace period: restores the account, then opens the session. */
async function signInCancellingDeletion(
  deps: Deps,
  user: UserRecord,
  meta: RequestMeta,
  now: Date,
): Promise<SignedIn> {
  // On the serving connection, not the commit thread: the restore enqueues mail and an event.
  return await commitChange(deps, async (trx) => {
    await restoreAccount(deps, trx, user, meta, now, "sign_in");
    await audit(trx, "sign_in.succeeded", user.id, meta, now);
    const pair = await startSession(deps, trx, user.id, meta);
    const restored = await findUserById(trx, user.id);
    return { ...pair, user: toProfile(restored!), deletion_cancelled: true as const };
  });
}

/**
 * Updates the member's name and phone. `undefined` leaves a field as it is; `phone: null` clears it.
 * A `user.updated` event names the fields whose value changed.
 */
export async function updateProfile(
  deps: Deps,
  auth: Authenticated,
  changes: { name?: string; phone?: string | null },
  meta: RequestMeta,
): Promise<Profile> {
  if (changes.name === undefined && changes.phone === undefined) return auth.profile;
  const now = deps.clock.now();
  return await commitChange(deps, async (trx, events) => {
    const phone = changes.phone == null ? changes.phone : normalizePhone(changes.phone);
    const before = await findUserById(trx, auth.userId);
    const row = await updateUser(trx, auth.userId, {
      name: changes.name,
      phone,
      updated_at: now.toISOString(),
    });
    await audit(trx, "profile.updated", auth.userId, meta, now, { fields: Object.keys(changes) });
    const changed: { name?: string | null; phone?: string | null } = {};
    if (row!.name !== before?.name) changed.name = row!.name;
    if (row!.phone !== before?.phone) changed.phone = row!.phone;
    if (Object.keys(changed).length > 0) {
      await events.webhook("user.updated", { user_id: auth.userId, ...changed });
    }
    return toProfile(row!);
  });
}

/**
 * Changes the member's password after checking the current one; every other session is revoked,
 * the caller's own stays signed in, and the member is told by mail. A member without a password
 * sets one through the reset mail instead (`PASSWORD_NOT_SET`).
 * @throws {DomainError} `PASSWORD_NOT_SET`, `CURRENT_PASSWORD_INCORRECT`, `WEAK_PASSWORD`,
 *   `SAME_PASSWORD`, `RATE_LIMITED` (wrong passwords count against the account as on sign-in)
 */
export async function changePassword(
  deps: Deps,
  auth: Authenticated,
  input: { current_password: string; new_password: string },
  meta: RequestMeta,
): Promise<void> {
  const currentHash = await findPasswordHash(deps.db, auth.userId);
  if (currentHash !== undefined && !hasPassword(currentHash)) {
    throw new DomainError("PASSWORD_NOT_SET");
  }
  if (!await verifyMemberPassword(deps, currentHash, auth.userId, input.current_password, meta)) {
    throw new DomainError("CURRENT_PASSWORD_INCORRECT");
  }
  assertPasswordRequirements(input.new_password);
  if (input.new_password === input.current_password) throw new DomainError("SAME_PASSWORD");
  const passwordHash = await deps.passwords.hash(input.new_password);
  const now = deps.clock.now();
  await commitChange(deps, async (trx, events) => {
    await updateUser(trx, auth.userId, {
      password_hash: passwordHash,
      updated_at: now.toISOString(),
    });
    const revoked = await revokeSessions(trx, auth.userId, now.toISOString(), "password_changed", {
      except: auth.sessionId,
    });
    await announcePasswordChange(events, auth.userId, "change", revoked.length);
    await events.mail({
      userId: auth.userId,
      kind: "password_changed",
      to: auth.profile.email,
      ...templates.passwordChanged(deps.config.productName, "changed"),
    });
    await audit(trx, "password.changed", auth.userId, meta, now, {
      sessions_revoked: revoked.length,
    });
  });
}
