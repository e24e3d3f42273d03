import type { Db, IdentityRow } from "./database.ts";

/** The identity `(issuer, subject)` and its member, or `undefined`. */
export async function findIdentity(
  db: Db,
  issuer: string,
  subject: string,
): Promise<IdentityRow | undefined> {
  return await db.selectFrom("identities").selectAll()
    .where("issuer", "=", issuer).where("subject", "=", subject).executeTakeFirst();
}

/** The member's identities, oldest first. */
export async function listIdentities(db: Db, userId: string): Promise<IdentityRow[]> {
  return await db.selectFrom("identities").selectAll().where("user_id", "=", userId)
    .orderBy("created_at").orderBy("id").execute();
}

/** Stores an identity. Throws the database's unique-constraint error when it is already linked. */
export async function insertIdentity(db: Db, identity: IdentityRow): Promise<void> {
  await db.insertInto("identities").values(identity).execute();
}

/** Removes the member's identity at `issuer`; returns the removed row, if there was one. */
export async function deleteIdentity(
  db: Db,
  userId: string,
  issuer: string,
): Promise<IdentityRow | undefined> {
  return await db.deleteFrom("identities").where("user_id", "=", userId)
    .where("issuer", "=", issuer).returningAll().executeTakeFirst();
}
