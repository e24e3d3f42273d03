import { type Kysely, sql } from "kysely";
import { autoId } from "./portable.ts";

// Frozen in time: never import from src/, never edit once landed; write the next migration.
// (Made portable to PostgreSQL through ./portable.ts; the SQLite schema it writes is unchanged.)

// deno-lint-ignore no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable("email_tokens")
    .addColumn("id", "integer", autoId(db))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn(
      "purpose",
      "text",
      (c) =>
        c.notNull().check(
          sql`purpose in ('verify_email', 'change_email', 'reset_password', 'cancel_deletion')`,
        ),
    )
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("new_email", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .execute();
  await db.schema.createIndex("email_tokens_user_purpose").on("email_tokens")
    .columns(["user_id", "purpose"]).execute();

  // No foreign key on user_id: a notice may outlive its member (the purge's final mail).
  await db.schema.createTable("outbox")
    .addColumn("id", "integer", autoId(db))
    .addColumn("user_id", "text")
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("recipient", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("text_body", "text", (c) => c.notNull())
    .addColumn("html_body", "text", (c) => c.notNull())
    .addColumn("secret_sealed", "text")
    // 1: delete the row once sent (the notice to a purged member must not keep their address).
    .addColumn("forget_after_send", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn(
      "status",
      "text",
      (c) => c.notNull().defaultTo("pending").check(sql`status in ('pending', 'sent', 'failed')`),
    )
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .addColumn("next_attempt_at", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("sent_at", "text")
    .execute();
  await db.schema.createIndex("outbox_due").on("outbox").columns(["status", "next_attempt_at"])
    .execute();
  await db.schema.createIndex("outbox_user_id").on("outbox").column("user_id").execute();
  // The purge deletes every message to a member's address.
  await db.schema.createIndex("outbox_recipient").on("outbox").column("recipient").execute();
}

// deno-lint-ignore no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("outbox").execute();
  await db.schema.dropTable("email_tokens").execute();
}
