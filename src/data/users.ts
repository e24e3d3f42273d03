import type { Db, NewUser, UserRow, UserUpdate } from "./database.ts";

/**
 * A member's row as it leaves `src/data`: every column but the password hash, which only
 * `findPasswordHash` and `findUserForSignIn` read, for verifying a password.
 */
export type UserRecord = Omit<UserRow, "password_hash">;

const USER_COLUMNS = [
  "id",
  "email",
  "email_verified_at",
  "name",
  "phone",
  "profile_picture",
  "google_id",
  "subscription_tier",
  "role",
  "status",
  "deletion_date",
  "created_at",
  "updated_at",
] as const satisfies readonly (keyof UserRecord)[];

/** The user with this id, or `undefined`. */
export async function findUserById(db: Db, id: string): Promise<UserRecord | undefined> {
  return await db.selectFrom("users").select(USER_COLUMNS).where("id", "=", id)
    .executeTakeFirst();
}

/** The user with this email, compared case-insensitively (the column is `COLLATE NOCASE` on
 * SQLite, `citext` on PostgreSQL). */
export async function findUserByEmail(db: Db, email: string): Promise<UserRecord | undefined> {
  return await db.selectFrom("users").select(USER_COLUMNS).where("email", "=", email)
    .executeTakeFirst();
}

/** The stored password hash of a member, to verify a password against; `undefined`: no member. */
export async function findPasswordHash(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom("users").select("password_hash").where("id", "=", id)
    .executeTakeFirst();
  return row?.password_hash;
}

/** The member signing in with this address and their password hash, in one read. */
export async function findUserForSignIn(
  db: Db,
  email: string,
): Promise<{ user: UserRecord; passwordHash: string } | undefined> {
  const row = await db.selectFrom("users").select([...USER_COLUMNS, "password_hash"])
    .where("email", "=", email).executeTakeFirst();
  if (row === undefined) return undefined;
  const { password_hash: passwordHash, ...user } = row;
  return { user, passwordHash };
}

/** Inserts a user. Throws the database's unique-constraint error (see `isUniqueViolation`) when the email is taken. */
export async function insertUser(db: Db, user: NewUser): Promise<void> {
  await db.insertInto("users").values(user).execute();
}

/** Applies `changes` to one user; returns the row as it now stands. */
export async function updateUser(
  db: Db,
  id: string,
  changes: UserUpdate,
): Promise<UserRecord | undefined> {
  return await db.updateTable("users").set(changes).where("id", "=", id).returning(USER_COLUMNS)
    .executeTakeFirst();
}

export { isUniqueViolation } from "./dialect.ts";

/** The addresses of every operator (role `admin`): who is told when something needs them. */
export async function listAdminEmails(db: Db): Promise<string[]> {
  const rows = await db.selectFrom("users").select("email").where("role", "=", "admin")
    .orderBy("email").execute();
  return rows.map((row) => row.email);
}

/** Up to `limit` members whose deletion date is at or before `now`, the longest due first. */
export async function membersDueForPurge(
  db: Db,
  now: string,
  limit: number,
): Promise<{ id: string; email: string }[]> {
  return await db.selectFrom("users").select(["id", "email"])
    .where("status", "=", "pending_deletion")
    .where("deletion_date", "<=", now)
    .orderBy("deletion_date").orderBy("id").limit(limit).execute();
}

/** Deletes these members' rows; the schema's foreign keys cascade or unlink what hangs off them. */
export async function deleteUsers(trx: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await trx.deleteFrom("users").where("id", "in", ids).execute();
}

/** Whether a member with this id exists. */
export async function userExists(db: Db, id: string): Promise<boolean> {
  return (await db.selectFrom("users").select("id").where("id", "=", id).executeTakeFirst()) !==
    undefined;
}

/** Gives the member with this address a role; `false` when no member has it. */
export async function setRoleByEmail(
  db: Db,
  email: string,
  role: "member" | "admin",
  at: string,
): Promise<boolean> {
  const result = await db.updateTable("users").set({ role, updated_at: at })
    .where("email", "=", email).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
