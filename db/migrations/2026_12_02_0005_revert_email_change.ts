import { type Kysely, sql } from "kysely";
import { autoId } from "./portable.ts";

// Frozen in time: never import from src/, never edit once landed; write the next migration.

const COLUMNS = [
  "user_id",
  "purpose",
  "token_hash",
  "new_email",
  "created_at",
  "expires_at",
  "used_at",
];

/**
 * Email tokens get a fifth purpose, `revert_email_change` (the "this wasn't me" link sent to the
 * old address after an email change). The purpose is a CHECK constraint, which neither database
 * alters in place portably, so the table is rebuilt: a new table with the wider check, the rows
 * copied (ids renumbered: nothing refers to them), the old one dropped, the new one renamed.
 */
// deno-lint-ignore no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await rebuild(db, [
    "verify_email",
    "change_email",
    "reset_password",
    "cancel_deletion",
    "revert_email_change",
  ]);
  // Registration and email changes look up whether an address is held for a revert link.
  await db.schema.createIndex("email_tokens_new_email").on("email_tokens").column("new_email")
    .execute();
}

// deno-lint-ignore no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom("email_tokens").where("purpose", "=", "revert_email_change").execute();
  await rebuild(db, ["verify_email", "change_email", "reset_password", "cancel_deletion"]);
}

// deno-lint-ignore no-explicit-any
async function rebuild(db: Kysely<any>, purposes: string[]): Promise<void> {
  await db.schema.createTable("email_tokens_next")
    .addColumn("id", "integer", autoId(db))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn(
      "purpose",
      "text",
      (c) => c.notNull().check(sql`purpose in (${sql.join(purposes.map((p) => sql.lit(p)))})`),
    )
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("new_email", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .execute();
  await db.insertInto("email_tokens_next").columns(COLUMNS)
    .expression(db.selectFrom("email_tokens").select(COLUMNS).orderBy("id")).execute();
  await db.schema.dropTable("email_tokens").execute();
  await db.schema.alterTable("email_tokens_next").renameTo("email_tokens").execute();
  await db.schema.createIndex("email_tokens_user_purpose").on("email_tokens")
    .columns(["user_id", "purpose"]).execute();
}
