import type { Db, EmailTokenPurpose } from "../data/database.ts";
import {
  insertEmailToken,
  isEmailTokenUsable,
  spendEmailToken,
  supersedeEmailTokens,
} from "../data/email_tokens.ts";
import { generateOpaqueToken, hashToken } from "./tokens.ts";

/** How long each kind of emailed link works. */
export const EMAIL_TOKEN_TTL_SECONDS: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * 3600,
  change_email: 24 * 3600,
  reset_password: 3600,
  cancel_deletion: 365 * 86_400, // bounded in practice by the deletion date: see account_deletion
  revert_email_change: 7 * 86_400,
};

/**
 * Issues a single-use token for an emailed link, in the caller's transaction, superseding the
 * member's earlier unused tokens of the same purpose, except `revert_email_change`: each of those
 * restores the address it was sent to, so a later email change must not silence the link that
 * reached an earlier address. Returns the token; only its hash is stored.
 */
export async function issueEmailToken(
  trx: Db,
  userId: string,
  purpose: EmailTokenPurpose,
  now: Date,
  newEmail: string | null = null,
): Promise<string> {
  const token = generateOpaqueToken();
  if (purpose !== "revert_email_change") {
    await supersedeEmailTokens(trx, userId, purpose, now.toISOString());
  }
  await insertEmailToken(trx, {
    user_id: userId,
    purpose,
    token_hash: hashToken(token),
    new_email: newEmail,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + EMAIL_TOKEN_TTL_SECONDS[purpose] * 1000).toISOString(),
  });
  return token;
}

/**
 * Spends a token of exactly this purpose; `undefined` when it is unknown, of another purpose,
 * used, superseded or expired.
 */
export async function spendToken(
  trx: Db,
  token: string,
  purpose: EmailTokenPurpose,
  now: Date,
): Promise<{ id: number; user_id: string; new_email: string | null } | undefined> {
  return await spendEmailToken(trx, hashToken(token), purpose, now.toISOString());
}

/** Whether a token of this purpose could be spent now, without spending it. */
export async function isTokenUsable(
  db: Db,
  token: string,
  purpose: EmailTokenPurpose,
  now: Date,
): Promise<boolean> {
  return await isEmailTokenUsable(db, hashToken(token), purpose, now.toISOString());
}
