import { type Kysely, sql } from "kysely";

// Frozen in time: never import from src/, never edit once landed; write the next migration.
// Portable to SQLite and PostgreSQL: text ids generated in code, ISO text timestamps, integers,
// no autoincrement and no dialect-specific SQL.

// deno-lint-ignore no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable("webhook_endpoints")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("url", "text", (c) => c.notNull())
    // A JSON array of event types; `[]` means every event.
    .addColumn("events", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
    // The whsec_ signing secret, AES-GCM sealed under a key derived from the server secret: it
    // must be readable to sign, so it cannot be a hash.
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    // After a rotation the old secret keeps signing alongside the new one until this expires.
    .addColumn("previous_secret_sealed", "text")
    .addColumn("previous_secret_expires_at", "text")
    // First failed attempt since the last success; three days of failures disable the endpoint.
    .addColumn("failing_since", "text")
    .addColumn("disabled_reason", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  // One row per (event, endpoint). No foreign key on user_id: user.purged outlives its member.
  await db.schema.createTable("webhook_deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    // The webhook-id header: one per event, the same for every endpoint and every retry.
    .addColumn("event_id", "text", (c) => c.notNull())
    .addColumn(
      "endpoint_id",
      "text",
      (c) => c.notNull().references("webhook_endpoints.id").onDelete("cascade"),
    )
    .addColumn("user_id", "text", (c) => c.notNull())
    // 1, 2, 3… over the member's events: the order they are delivered in, per endpoint.
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn(
      "status",
      "text",
      (c) =>
        c.notNull().defaultTo("pending").check(sql`status in ('pending', 'delivered', 'failed')`),
    )
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "text", (c) => c.notNull())
    // Retries stop (status failed) after the first failed attempt past this instant.
    .addColumn("give_up_at", "text", (c) => c.notNull())
    .addColumn("last_attempt_at", "text")
    .addColumn("last_status_code", "integer")
    .addColumn("last_response", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("delivered_at", "text")
    .execute();
  await db.schema.createIndex("webhook_deliveries_due").on("webhook_deliveries")
    .columns(["status", "next_attempt_at"]).execute();
  await db.schema.createIndex("webhook_deliveries_member_order").on("webhook_deliveries")
    .columns(["user_id", "endpoint_id", "seq"]).execute();
  await db.schema.createIndex("webhook_deliveries_endpoint").on("webhook_deliveries")
    .columns(["endpoint_id", "created_at"]).execute();
}

// deno-lint-ignore no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("webhook_deliveries").execute();
  await db.schema.dropTable("webhook_endpoints").execute();
}
