import { sql } from "kysely";
import type { Db, NewUser } from "../../src/data/database.ts";

/** A `users` row for tests that write the table directly: an active member, `<id>@example.com`. */
export function userRow(id: string, fields: Partial<NewUser> = {}): NewUser {
  return {
    id,
    email: `${id}@example.com`,
    password_hash: "h",
    subscription_tier: "free",
    role: "member",
    status: "active",
    created_at: "2026-11-23T00:00:00.000Z",
    updated_at: "2026-11-23T00:00:00.000Z",
    ...fields,
  };
}

/** The value of `PRAGMA <name>` on this handle's connection. */
export async function pragma(db: Db, name: string): Promise<unknown> {
  return Object.values((await sql.raw(`PRAGMA ${name}`).execute(db)).rows[0] as object)[0];
}
