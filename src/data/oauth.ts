import type { Db, OAuthCodeRow, OAuthStateRow } from "./database.ts";

/** Stores a state (or a link ticket). */
export async function insertOAuthState(db: Db, row: OAuthStateRow): Promise<void> {
  await db.insertInto("oauth_states").values(row).execute();
}

/**
 * Takes the state with this hash out of the table (single use) and returns it, or `undefined`.
 * Expired rows are returned too: the caller decides, and they are gone either way.
 */
export async function takeOAuthState(
  db: Db,
  stateHash: string,
): Promise<OAuthStateRow | undefined> {
  return await db.deleteFrom("oauth_states").where("state_hash", "=", stateHash).returningAll()
    .executeTakeFirst();
}

/** Deletes states and codes that expired before `before` (codes a minute after, for replays). */
export async function deleteExpiredOAuthRows(db: Db, before: string): Promise<void> {
  await db.deleteFrom("oauth_states").where("expires_at", "<", before).execute();
  await db.deleteFrom("oauth_codes").where("expires_at", "<", before).execute();
}

/** Stores a one-time code. */
export async function insertOAuthCode(db: Db, row: OAuthCodeRow): Promise<void> {
  await db.insertInto("oauth_codes").values(row).execute();
}

/** The code with this hash, used or not, or `undefined`. */
export async function findOAuthCode(db: Db, codeHash: string): Promise<OAuthCodeRow | undefined> {
  return await db.selectFrom("oauth_codes").selectAll().where("code_hash", "=", codeHash)
    .executeTakeFirst();
}

/**
 * Marks an unused code used (and, once known, the session it opened). `false` when it was
 * already used: of two concurrent exchanges only one wins, on either database.
 */
export async function spendOAuthCode(
  db: Db,
  id: string,
  usedAt: string,
): Promise<boolean> {
  const result = await db.updateTable("oauth_codes").set({ used_at: usedAt })
    .where("id", "=", id).where("used_at", "is", null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records the session a code's exchange opened. */
export async function setOAuthCodeSession(db: Db, id: string, sessionId: string): Promise<void> {
  await db.updateTable("oauth_codes").set({ session_id: sessionId }).where("id", "=", id)
    .execute();
}
