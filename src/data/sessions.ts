import { CompiledQuery } from "kysely";
import type { Db, SessionRow, UserRow } from "./database.ts";
import { liveSessionCacheOf } from "./live_session_cache.ts";

/** A member as the live-session read gives it: every column but the password hash. */
export type SessionUser = Omit<UserRow, "password_hash">;
type LiveSessionUser = SessionUser & { session_last_used_at: string; session_expires_at: string };

// Every `users` column but the hash: the row is kept in the live-session cache for minutes.
const SESSION_USER_COLUMNS = [
  "users.id",
  "users.email",
  "users.email_verified_at",
  "users.name",
  "users.phone",
  "users.profile_picture",
  "users.google_id",
  "users.subscription_tier",
  "users.role",
  "users.status",
  "users.deletion_date",
  "users.created_at",
  "users.updated_at",
] as const satisfies readonly `users.${Exclude<keyof UserRow, "password_hash">}`[];

// Compiled once: this read runs on every authenticated request, and building and compiling the
// Kysely query each time cost more than running it. Parameters: session id, then now.
const liveSessionUserSql = (db: Db) =>
  db.selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select(SESSION_USER_COLUMNS)
    .select([
      "sessions.last_used_at as session_last_used_at",
      "sessions.expires_at as session_expires_at",
    ])
    .where("sessions.id", "=", "?")
    .where("sessions.revoked_at", "is", null)
    .where("sessions.expires_at", ">", "?")
    .compile().sql;
const compiledFor = new WeakMap<Db, string>();

/**
 * The user of a session that is live at `now` (not revoked, not expired), with the session's
 * last use: the read behind every authenticated request. Answered from the handle's
 * `LiveSessionCache` when it can; otherwise one indexed read through Kysely's connection (and its
 * lock), so it never reads inside another request's open transaction. The row is shared: do not
 * modify it. It carries no password hash.
 */
export async function findLiveSessionUser(
  db: Db,
  sessionId: string,
  now: string,
): Promise<LiveSessionUser | undefined> {
  let sql = compiledFor.get(db);
  if (sql === undefined) compiledFor.set(db, sql = liveSessionUserSql(db));
  const cache = liveSessionCacheOf<LiveSessionUser>(db);
  const cached = cache?.get(sessionId, now);
  if (cached !== undefined) return cached;
  const epoch = cache?.epoch ?? 0;
  const result = await db.executeQuery<LiveSessionUser>(CompiledQuery.raw(sql, [sessionId, now]));
  const row = result.rows[0];
  if (row !== undefined) cache?.set(sessionId, row, epoch);
  return row;
}

/** The statement that inserts a session: run it in a transaction or a `CommitThread` batch. */
export function sessionInsert(db: Db, session: SessionRow) {
  return db.insertInto("sessions").values(session);
}

/** Records a use of a session and pushes its expiry to the newest refresh token's. */
export async function touchSession(
  db: Db,
  id: string,
  fields: {
    last_used_at: string;
    expires_at?: string;
    ip_address?: string | null;
    user_agent?: string | null;
  },
): Promise<void> {
  await db.updateTable("sessions").set(fields).where("id", "=", id).execute();
}

/** The member's live sessions, most recently used first. */
export async function listLiveSessions(db: Db, userId: string, now: string): Promise<SessionRow[]> {
  return await db.selectFrom("sessions").selectAll()
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", now)
    .orderBy("last_used_at", "desc").orderBy("id")
    .execute();
}

/**
 * Revokes the live sessions of `userId` that match: one (`only`), all but one (`except`), or all.
 * Returns the ids revoked.
 */
export async function revokeSessions(
  db: Db,
  userId: string,
  at: string,
  reason: string,
  filter: { only?: string; except?: string } = {},
): Promise<string[]> {
  let query = db.updateTable("sessions")
    .set({ revoked_at: at, revoked_reason: reason })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null);
  if (filter.only !== undefined) query = query.where("id", "=", filter.only);
  if (filter.except !== undefined) query = query.where("id", "!=", filter.except);
  const rows = await query.returning("id").execute();
  return rows.map((row) => row.id);
}

/** The refresh token with this hash, with what the refresh rules need of its session. */
export async function findRefreshToken(db: Db, tokenHash: string) {
  return await db.selectFrom("refresh_tokens")
    .innerJoin("sessions", "sessions.id", "refresh_tokens.session_id")
    .select([
      "refresh_tokens.id",
      "refresh_tokens.session_id",
      "refresh_tokens.expires_at",
      "refresh_tokens.spent_at",
      "refresh_tokens.successor_sealed",
      "refresh_tokens.successor_id",
      "sessions.user_id",
      "sessions.revoked_at as session_revoked_at",
      "sessions.expires_at as session_expires_at",
    ])
    .where("refresh_tokens.token_hash", "=", tokenHash)
    .executeTakeFirst();
}

/** Whether the refresh token with this id is still unspent. */
export async function isRefreshTokenUnspent(db: Db, id: number): Promise<boolean> {
  const row = await db.selectFrom("refresh_tokens").select("spent_at").where("id", "=", id)
    .executeTakeFirst();
  return row !== undefined && row.spent_at === null;
}

type NewRefreshToken = {
  session_id: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
};

/** Inserts a refresh token (its hash) and returns its id. */
export async function insertRefreshToken(db: Db, token: NewRefreshToken): Promise<number> {
  const row = await refreshTokenInsert(db, token).returning("id").executeTakeFirstOrThrow();
  return row.id;
}

/** The statement that inserts a refresh token (its hash), for a batch (see `CommitThread`). */
export function refreshTokenInsert(db: Db, token: NewRefreshToken) {
  return db.insertInto("refresh_tokens").values(token);
}

/**
 * Marks a refresh token spent, recording its (sealed) successor, only if it was unspent.
 * Returns whether this call spent it: of two racing callers exactly one gets `true`.
 */
export async function spendRefreshToken(
  db: Db,
  id: number,
  at: string,
  successor: { id: number; sealed: string },
): Promise<boolean> {
  const result = await db.updateTable("refresh_tokens")
    .set({ spent_at: at, successor_id: successor.id, successor_sealed: successor.sealed })
    .where("id", "=", id)
    .where("spent_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** When a session was opened (its sign-in), or `undefined` for an unknown session. */
export async function findSessionStartedAt(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom("sessions").select("created_at").where("id", "=", id)
    .executeTakeFirst();
  return row?.created_at;
}
