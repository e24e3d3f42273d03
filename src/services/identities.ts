import { emitWebhook } from "./webhooks.ts";
import { commitChange } from "./change.ts";
import { isAddressAvailable } from "./address_availability.ts";
import type { Db } from "../data/database.ts";
import {
  deleteIdentity,
  findIdentity,
  insertIdentity,
  listIdentities,
} from "../data/identities.ts";
import {
  findPasswordHash,
  findUserByEmail,
  findUserById,
  insertUser,
  isUniqueViolation,
  updateUser,
  type UserRecord,
} from "../data/users.ts";
import type { Deps } from "../deps.ts";
import { templates } from "../mail/templates.ts";
import { normalizeEmail } from "./accounts.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { enqueueVerificationMail } from "./email_verification.ts";
import { DomainError } from "./errors.ts";
import type { VerifiedIdentity } from "./oidc_client.ts";
import { hasPassword, NO_PASSWORD } from "./passwords.ts";
import type { Authenticated } from "./sessions.ts";

/** An identity as its owner sees it. */
export interface IdentityView {
  provider: "google";
  issuer: string;
  subject: string;
  email: string | null;
  created_at: string;
}

/**
 * A refusal the flow sends back to the app's `redirect_uri` as `error`/`error_description`
 * (RFC 6749 §4.1.2.1, plus Vestibule's own `account_exists`, `identity_in_use`, `already_linked`).
 */
export class LinkRefused extends Error {
  override name = "LinkRefused";
  constructor(readonly error: string, readonly description: string) {
    super(description);
  }
}

const ACCOUNT_EXISTS =
  "An account with this email address already exists. Sign in with your password, then link " +
  "Google from your account settings.";

function purgeDue(user: UserRecord, now: Date): boolean {
  return user.status === "pending_deletion" && user.deletion_date !== null &&
    user.deletion_date <= now.toISOString();
}

async function link(
  deps: Deps,
  trx: Db,
  user: UserRecord,
  identity: VerifiedIdentity,
  meta: RequestMeta,
  now: Date,
  via: "sign_in" | "account",
): Promise<void> {
  await insertIdentity(trx, {
    id: crypto.randomUUID(),
    user_id: user.id,
    issuer: identity.issuer,
    subject: identity.subject,
    email: identity.email,
    created_at: now.toISOString(),
  });
  if (identity.issuer === deps.oidc?.issuer) {
    await updateUser(trx, user.id, { google_id: identity.subject, updated_at: now.toISOString() });
  }
  await deps.outbox.enqueue(trx, {
    userId: user.id,
    kind: "identity_linked",
    to: user.email,
    ...templates.identityLinked(deps.config.productName, identity.email),
  });
  await audit(trx, "identity.linked", user.id, meta, now, { issuer: identity.issuer, via });
}

/**
 * Decides who a verified identity signs in, in the caller's transaction. The rules, by
 * construction (an identity is `(issuer, sub)`, never an email):
 * - a known identity signs its member in;
 * - an unknown identity whose email belongs to an account links to it only when the provider
 *   says `email_verified: true` AND the account's own email is verified; otherwise nothing is
 *   linked (`account_exists`);
 * - an unknown identity with an unused email creates an account without a password, its email
 *   verified when the provider says so (otherwise a verification mail goes out).
 * An account past its deletion date signs in no more (`access_denied`).
 * @throws {LinkRefused} `account_exists`, `access_denied`
 */
export async function resolveSignIn(
  deps: Deps,
  trx: Db,
  identity: VerifiedIdentity,
  meta: RequestMeta,
  now: Date,
): Promise<{ userId: string; created: boolean }> {
  const known = await findIdentity(trx, identity.issuer, identity.subject);
  if (known !== undefined) {
    const user = await findUserById(trx, known.user_id);
    if (user === undefined || purgeDue(user, now)) {
      throw new LinkRefused("access_denied", "This account has been deleted");
    }
    return { userId: user.id, created: false };
  }
  if (identity.email === null) {
    throw new LinkRefused("access_denied", "The identity provider did not share an email address");
  }
  const email = normalizeEmail(identity.email);
  const existing = await findUserByEmail(trx, email);
  if (existing !== undefined) {
    const alreadyLinked = (await listIdentities(trx, existing.id))
      .some((row) => row.issuer === identity.issuer);
    if (
      !identity.emailVerified || existing.email_verified_at === null || alreadyLinked ||
      purgeDue(existing, now)
    ) throw new LinkRefused("account_exists", ACCOUNT_EXISTS);
    await link(deps, trx, existing, identity, meta, now, "sign_in");
    return { userId: existing.id, created: false };
  }
  // An address a "this wasn't me" link can still restore is held for its member.
  if (!await isAddressAvailable(trx, email, now)) {
    throw new LinkRefused("account_exists", ACCOUNT_EXISTS);
  }
  const id = crypto.randomUUID();
  const at = now.toISOString();
  try {
    await insertUser(trx, {
      id,
      email,
      email_verified_at: identity.emailVerified ? at : null,
      password_hash: NO_PASSWORD,
      name: null,
      subscription_tier: "free",
      role: "member",
      status: "active",
      created_at: at,
      updated_at: at,
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new LinkRefused("account_exists", ACCOUNT_EXISTS);
    throw error;
  }
  await audit(trx, "user.registered", id, meta, now, { via: "oidc" });
  await emitWebhook(deps, trx, "user.created", {
    user_id: id,
    email,
    name: null,
    email_verified: identity.emailVerified,
    created_at: at,
  });
  if (!identity.emailVerified) await enqueueVerificationMail(deps, trx, { id, email }, now);
  const user = await findUserById(trx, id);
  await link(deps, trx, user!, identity, meta, now, "sign_in");
  return { userId: id, created: true };
}

/**
 * Links a verified identity to a signed-in member (the flow started from
 * `POST /users/me/identities/google`), in the caller's transaction. Linking the identity the
 * member already has is a no-op.
 * @throws {LinkRefused} `identity_in_use` (another member's), `already_linked` (the member has
 *   another identity at this provider), `access_denied` (the member is gone)
 */
export async function linkToMember(
  deps: Deps,
  trx: Db,
  userId: string,
  identity: VerifiedIdentity,
  meta: RequestMeta,
  now: Date,
): Promise<void> {
  const user = await findUserById(trx, userId);
  if (user === undefined || user.status !== "active") {
    throw new LinkRefused("access_denied", "This account cannot be linked");
  }
  const known = await findIdentity(trx, identity.issuer, identity.subject);
  if (known !== undefined) {
    if (known.user_id === userId) return;
    throw new LinkRefused(
      "identity_in_use",
      "This Google account is already linked to another account",
    );
  }
  if ((await listIdentities(trx, userId)).some((row) => row.issuer === identity.issuer)) {
    throw new LinkRefused(
      "already_linked",
      "Another Google account is linked to your account: unlink it first",
    );
  }
  try {
    await link(deps, trx, user, identity, meta, now, "account");
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new LinkRefused(
        "identity_in_use",
        "This Google account is already linked to another account",
      );
    }
    throw error;
  }
}

/** The member's linked identities, oldest first. */
export async function listMemberIdentities(
  deps: Deps,
  auth: Authenticated,
): Promise<IdentityView[]> {
  return (await listIdentities(deps.db, auth.userId)).map((row) => ({
    provider: "google" as const,
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    created_at: row.created_at,
  }));
}

/**
 * Unlinks the member's identity at the configured provider, audited and mailed. Refused while it
 * is their only way to sign in (no password and no other identity): they set a password first.
 * @throws {DomainError} `OAUTH_NOT_CONFIGURED`, `IDENTITY_NOT_FOUND`, `LAST_SIGN_IN_METHOD`
 */
export async function unlinkIdentity(
  deps: Deps,
  auth: Authenticated,
  meta: RequestMeta,
): Promise<void> {
  const issuer = deps.oidc?.issuer;
  if (issuer === undefined) throw new DomainError("OAUTH_NOT_CONFIGURED");
  const now = deps.clock.now();
  await commitChange(deps, async (trx) => {
    const user = await findUserById(trx, auth.userId);
    const identities = await listIdentities(trx, auth.userId);
    if (user === undefined || !identities.some((row) => row.issuer === issuer)) {
      throw new DomainError("IDENTITY_NOT_FOUND");
    }
    const passwordHash = await findPasswordHash(trx, user.id);
    if ((passwordHash === undefined || !hasPassword(passwordHash)) && identities.length === 1) {
      throw new DomainError("LAST_SIGN_IN_METHOD");
    }
    const removed = await deleteIdentity(trx, auth.userId, issuer);
    if (user.google_id !== null) {
      await updateUser(trx, user.id, { google_id: null, updated_at: now.toISOString() });
    }
    await deps.outbox.enqueue(trx, {
      userId: user.id,
      kind: "identity_unlinked",
      to: user.email,
      ...templates.identityUnlinked(deps.config.productName, removed?.email ?? null),
    });
    await audit(trx, "identity.unlinked", user.id, meta, now, { issuer });
  });
}
