import { writeTransaction } from "../data/transactions.ts";
import {
  findUserByEmail,
  findUserById,
  insertUser,
  isUniqueViolation,
  updateUser,
} from "../data/users.ts";
import type { UserRow } from "../data/database.ts";
import { revokeSessions } from "../data/sessions.ts";
import type { Deps } from "../deps.ts";
import { templates } from "../mail/templates.ts";
import { audit, auditWrite, type RequestMeta } from "./audit.ts";
import { enqueueVerificationMail } from "./email_verification.ts";
import { restoreAccount } from "./account_deletion.ts";
import { DomainError } from "./errors.ts";
import { meetsPasswordRequirements } from "./passwords.ts";
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
 * email is stored lower-cased and is unique case-insensitively.
 * @throws {DomainError} `EMAIL_TAKEN`, `WEAK_PASSWORD`, `RATE_LIMITED` (per IP)
 */
export async function register(
  deps: Deps,
  input: { email: string; password: string; name?: string | null },
  meta: RequestMeta,
): Promise<SignedIn> {
  const now = deps.clock.now();
  deps.rateLimiter.consume(`register:${meta.ip}`, deps.config.rateLimits.registerPerIp, now);
  assertPasswordRequirements(input.password);
  const email = normalizeEmail(input.email);
  if (await findUserByEmail(deps.db, email)) throw new DomainError("EMAIL_TAKEN");
  const passwordHash = await deps.passwords.hash(input.password); // outside the transaction: slow
  const id = crypto.randomUUID();
  const at = now.toISOString();
  try {
    const signedIn = await writeTransaction(deps.db, async (trx) => {
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
      const pair = await startSession(deps, trx, id, meta);
      const user = await findUserById(trx, id);
      return { ...pair, user: toProfile(user!) };
    });
    deps.outbox.nudge();
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
 * @throws {DomainError} `INVALID_CREDENTIALS`; `RATE_LIMITED` per IP (all attempts) and per account
 *   (failed attempts)
 */
export async function login(
  deps: Deps,
  input: { email: string; password: string },
  meta: RequestMeta,
): Promise<SignedIn> {
  const now = deps.clock.now();
  const email = normalizeEmail(input.email);
  const { loginPerIp, loginPerAccount } = deps.config.rateLimits;
  const accountKey = `login-account:${email}`;
  deps.rateLimiter.consume(`login-ip:${meta.ip}`, loginPerIp, now);
  deps.rateLimiter.check(accountKey, loginPerAccount, now);

  const user = await findUserByEmail(deps.db, email);
  const valid = user === undefined
    ? (await deps.passwords.verifyNothing(input.password), false)
    : await deps.passwords.verify(user.password_hash, input.password);

  // Past its deletion date an account is gone, whether or not the purge has run yet.
  const purgeDue = user?.status === "pending_deletion" && user.deletion_date !== null &&
    user.deletion_date <= now.toISOString();
  // Sign-ins come at Argon2's pace, under load or attack: their writes commit off the event loop.
  if (user === undefined || !valid || purgeDue) {
    deps.rateLimiter.record(accountKey, loginPerAccount, now);
    await deps.commits.commit([
      auditWrite(deps.db, "sign_in.failed", user?.id ?? null, meta, now, {
        reason: user === undefined ? "unknown_email" : purgeDue ? "deleted" : "wrong_password",
      }),
    ]);
    throw new DomainError("INVALID_CREDENTIALS");
  }
  deps.rateLimiter.reset(accountKey);

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
  user: UserRow,
  meta: RequestMeta,
  now: Date,
): Promise<SignedIn> {
  const signedIn = await writeTransaction(deps.db, async (trx) => {
    await restoreAccount(deps, trx, user, meta, now, "sign_in");
    await audit(trx, "sign_in.succeeded", user.id, meta, now);
    const pair = await startSession(deps, trx, user.id, meta);
    const restored = await findUserById(trx, user.id);
    return { ...pair, user: toProfile(restored!), deletion_cancelled: true as const };
  });
  deps.outbox.nudge();
  return signedIn;
}

/**
 * Updates the member's name and phone. `undefined` leaves a field as it is; `phone: null` clears it.
 */
export async function updateProfile(
  deps: Deps,
  auth: Authenticated,
  changes: { name?: string; phone?: string | null },
  meta: RequestMeta,
): Promise<Profile> {
  if (changes.name === undefined && changes.phone === undefined) return auth.profile;
  const now = deps.clock.now();
  return await writeTransaction(deps.db, async (trx) => {
    const phone = changes.phone == null ? changes.phone : normalizePhone(changes.phone);
    const row = await updateUser(trx, auth.userId, {
      name: changes.name,
      phone,
      updated_at: now.toISOString(),
    });
    await audit(trx, "profile.updated", auth.userId, meta, now, { fields: Object.keys(changes) });
    return toProfile(row!);
  });
}

/**
 * Changes the member's password after checking the current one; every other session is revoked,
 * the caller's own stays signed in, and the member is told by mail.
 * @throws {DomainError} `CURRENT_PASSWORD_INCORRECT`, `WEAK_PASSWORD`, `SAME_PASSWORD`
 */
export async function changePassword(
  deps: Deps,
  auth: Authenticated,
  input: { current_password: string; new_password: string },
  meta: RequestMeta,
): Promise<void> {
  const user = await findUserById(deps.db, auth.userId);
  if (
    user === undefined || !await deps.passwords.verify(user.password_hash, input.current_password)
  ) {
    throw new DomainError("CURRENT_PASSWORD_INCORRECT");
  }
  assertPasswordRequirements(input.new_password);
  if (input.new_password === input.current_password) throw new DomainError("SAME_PASSWORD");
  const passwordHash = await deps.passwords.hash(input.new_password);
  const now = deps.clock.now();
  await writeTransaction(deps.db, async (trx) => {
    await updateUser(trx, auth.userId, {
      password_hash: passwordHash,
      updated_at: now.toISOString(),
    });
    const revoked = await revokeSessions(trx, auth.userId, now.toISOString(), "password_changed", {
      except: auth.sessionId,
    });
    await deps.outbox.enqueue(trx, {
      userId: user.id,
      kind: "password_changed",
      to: user.email,
      ...templates.passwordChanged(deps.config.productName, "changed"),
    });
    await audit(trx, "password.changed", auth.userId, meta, now, {
      sessions_revoked: revoked.length,
    });
  });
  deps.outbox.nudge();
}
