import type { Db, EmailTokenPurpose } from "./database.ts";

/** Inserts an email token (its hash only). */
export async function insertEmailToken(
  db: Db,
  token: {
    user_id: string;
    purpose: EmailTokenPurpose;
    token_hash: string;
    new_email: string | null;
    created_at: string;
    expires_at: string;
  },
): Promise<void> {
  await db.insertInto("email_tokens").values(token).execute();
}

/** Marks every unused token of this member and purpose used: a newer request supersedes them. */
export async function supersedeEmailTokens(
  db: Db,
  userId: string,
  purpose: EmailTokenPurpose,
  at: string,
): Promise<void> {
  await db.updateTable("email_tokens").set({ used_at: at })
    .where("user_id", "=", userId).where("purpose", "=", purpose).where("used_at", "is", null)
    .execute();
}

/**
 * Spends the unused, unexpired token with this hash and purpose, atomically: of two concurrent
 * callers one gets the token, the other `undefined`.
 */
export async function spendEmailToken(
  db: Db,
  tokenHash: string,
  purpose: EmailTokenPurpose,
  at: string,
): Promise<{ id: number; user_id: string; new_email: string | null } | undefined> {
  return await db.updateTable("email_tokens").set({ used_at: at })
    .where("token_hash", "=", tokenHash)
    .where("purpose", "=", purpose)
    .where("used_at", "is", null)
    .where("expires_at", ">", at)
    .returning(["id", "user_id", "new_email"])
    .executeTakeFirst();
}

/** Marks used every unused token of this member and purpose issued after the token `afterId`. */
export async function supersedeLaterEmailTokens(
  db: Db,
  userId: string,
  purpose: EmailTokenPurpose,
  afterId: number,
  at: string,
): Promise<void> {
  await db.updateTable("email_tokens").set({ used_at: at })
    .where("user_id", "=", userId).where("purpose", "=", purpose).where("used_at", "is", null)
    .where("id", ">", afterId)
    .execute();
}

/** Whether an unused, unexpired token with this hash and purpose exists (nothing is spent). */
export async function isEmailTokenUsable(
  db: Db,
  tokenHash: string,
  purpose: EmailTokenPurpose,
  at: string,
): Promise<boolean> {
  const row = await db.selectFrom("email_tokens").select("id")
    .where("token_hash", "=", tokenHash)
    .where("purpose", "=", purpose)
    .where("used_at", "is", null)
    .where("expires_at", ">", at)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The member holding `email` through an unused, unexpired `revert_email_change` token (the
 * address an email change left, which its "this wasn't me" link can restore), if any.
 */
export async function findAddressReservation(
  db: Db,
  email: string,
  at: string,
): Promise<string | undefined> {
  const row = await db.selectFrom("email_tokens").select("user_id")
    .where("new_email", "=", email)
    .where("purpose", "=", "revert_email_change")
    .where("used_at", "is", null)
    .where("expires_at", ">", at)
    .executeTakeFirst();
  return row?.user_id;
}
