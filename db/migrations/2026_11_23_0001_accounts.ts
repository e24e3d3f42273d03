import { type Kysely, sql } from "kysely";
import {
  autoId,
  caseInsensitive,
  caseInsensitiveText,
  enableCaseInsensitiveText,
} from "./portable.ts";

// Frozen in time: never import from src/, never edit once landed; write the next migration.
// (Made portable to PostgreSQL through ./portable.ts; the SQLite schema it writes is unchanged.)

// deno-lint-ignore no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await enableCaseInsensitiveText(db);
  await db.schema.createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    // NOCASE on the column, not just the index: lookups then match Foo@x.com and foo@x.com alike.
    .addColumn(
      "email",
      caseInsensitiveText(db),
      (c) => caseInsensitive(db)(c.notNull().unique()),
    )
    .addColumn("email_verified_at", "text")
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("name", "text")
    .addColumn("phone", "text")
    .addColumn("profile_picture", "text")
    .addColumn("google_id", "text", (c) => c.unique())
    .addColumn("subscription_tier", "text", (c) => c.notNull().defaultTo("free"))
    .addColumn(
      "role",
      "text",
      (c) => c.notNull().defaultTo("member").check(sql`role in ('member', 'admin')`),
    )
    .addColumn(
      "status",
      "text",
      (c) => c.notNull().defaultTo("active").check(sql`status in ('active', 'pending_deletion')`),
    )
    .addColumn("deletion_date", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema.createTable("sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("user_agent", "text")
    .addColumn("ip_address", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("last_used_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("revoked_at", "text")
    .addColumn("revoked_reason", "text")
    .execute();
  await db.schema.createIndex("sessions_user_id").on("sessions").column("user_id").execute();

  await db.schema.createTable("refresh_tokens")
    .addColumn("id", "integer", autoId(db))
    .addColumn(
      "session_id",
      "text",
      (c) => c.notNull().references("sessions.id").onDelete("cascade"),
    )
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("spent_at", "text")
    .addColumn("successor_sealed", "text")
    .addColumn("successor_id", "integer")
    .execute();
  await db.schema.createIndex("refresh_tokens_session_id").on("refresh_tokens").column("session_id")
    .execute();

  await db.schema.createTable("audit_events")
    .addColumn("id", "integer", autoId(db))
    .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("ip_address", "text")
    .addColumn("user_agent", "text")
    .addColumn("details", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("audit_events_user_id").on("audit_events").columns([
    "user_id",
    "created_at",
  ]).execute();
}

// deno-lint-ignore no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("audit_events").execute();
  await db.schema.dropTable("refresh_tokens").execute();
  await db.schema.dropTable("sessions").execute();
  await db.schema.dropTable("users").execute();
}
