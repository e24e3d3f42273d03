import type { Db } from "./database.ts";

// The queries of the housekeeping jobs (prune-tokens, sweep-files).

/** Deletes sessions revoked before `before`, or expired before it (their tokens cascade). */
export async function deleteEndedSessions(db: Db, before: string): Promise<number> {
  const result = await db.deleteFrom("sessions")
    .where((eb) =>
      eb.or([
        eb.and([eb("revoked_at", "is not", null), eb("revoked_at", "<", before)]),
        eb("expires_at", "<", before),
      ])
    ).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes refresh tokens whose expiry is at or before `at`. */
export async function deleteExpiredRefreshTokens(db: Db, at: string): Promise<number> {
  const result = await db.deleteFrom("refresh_tokens").where("expires_at", "<=", at)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes email tokens that were used, or expired at or before `at`. */
export async function deleteFinishedEmailTokens(db: Db, at: string): Promise<number> {
  const result = await db.deleteFrom("email_tokens")
    .where((eb) => eb.or([eb("used_at", "is not", null), eb("expires_at", "<=", at)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes mail sent before `before`. */
export async function deleteSentMail(db: Db, before: string): Promise<number> {
  const result = await db.deleteFrom("outbox")
    .where("status", "=", "sent").where("sent_at", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The picture URLs profiles point at. */
export async function picturesInUse(db: Db): Promise<string[]> {
  const rows = await db.selectFrom("users").select("profile_picture")
    .where("profile_picture", "is not", null).execute();
  return rows.map((row) => row.profile_picture!);
}
