import { type Kysely, sql } from "kysely";

// Frozen in time: never import from src/, never edit once landed; write the next migration.
// Portable to SQLite and PostgreSQL: Kysely's schema builder only, text ids generated in code,
// text ISO 8601 timestamps, no auto-increment.
//
// Members without a password keep `users.password_hash` NOT NULL: they hold the sentinel
// `!no-password`, which is not a PHC string, so no Argon2id verification can ever succeed against
// it (src/services/passwords.ts, NO_PASSWORD). Rebuilding `users` to drop NOT NULL would cost a
// table copy on SQLite and a lock on PostgreSQL for no gain in safety.

// deno-lint-ignore no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // An identity at an OpenID provider: (issuer, subject), never an email.
  await db.schema.createTable("identities")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("issuer", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    // The provider's address when linked: shown to the member, never used to find them.
    .addColumn("email", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("identities_issuer_subject", ["issuer", "subject"])
    .execute();
  await db.schema.createIndex("identities_user_id").on("identities").column("user_id").execute();

  // One sign-in (or link) in flight between /authorize and /callback. A link starts as a ticket
  // (browser_hash NULL, from POST /users/me/identities/google) that /authorize turns into a state.
  await db.schema.createTable("oauth_states")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("state_hash", "text", (c) => c.notNull().unique())
    .addColumn("browser_hash", "text")
    // Sealed under the browser's binding cookie: the database alone cannot open them.
    .addColumn("nonce_sealed", "text")
    .addColumn("verifier_sealed", "text")
    .addColumn("redirect_uri", "text", (c) => c.notNull())
    .addColumn("app_state", "text")
    .addColumn("code_challenge", "text")
    .addColumn(
      "purpose",
      "text",
      (c) => c.notNull().check(sql`purpose in ('login', 'link')`),
    )
    .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("cascade"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("oauth_states_expires_at").on("oauth_states").column("expires_at")
    .execute();

  // One-time codes handed to an app's redirect_uri, exchanged at POST /auth/oauth/token.
  await db.schema.createTable("oauth_codes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("code_hash", "text", (c) => c.notNull().unique())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    // The session the first exchange opened; a second use of the code revokes it.
    .addColumn(
      "session_id",
      "text",
      (c) => c.references("sessions.id").onDelete("set null"),
    )
    .addColumn("redirect_uri", "text", (c) => c.notNull())
    .addColumn("code_challenge", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .execute();
  await db.schema.createIndex("oauth_codes_expires_at").on("oauth_codes").column("expires_at")
    .execute();
  await db.schema.createIndex("oauth_codes_user_id").on("oauth_codes").column("user_id")
    .execute();
}

// deno-lint-ignore no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("oauth_codes").execute();
  await db.schema.dropTable("oauth_states").execute();
  await db.schema.dropTable("identities").execute();
}
