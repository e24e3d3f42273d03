import type { Kysely } from "kysely";

// Frozen in time: never import from src/, never edit once landed; write the next migration.

/**
 * Each outbox message keeps its own `Message-ID`, chosen when it is written (random, with the
 * domain of `PUBLIC_URL`), so every retry of one message carries the same id and no two messages,
 * deployments or restored backups share one. NULL on rows written before this migration: they get
 * theirs when first claimed for delivery.
 */
// deno-lint-ignore no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("outbox").addColumn("message_id", "text").execute();
}

// deno-lint-ignore no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("outbox").dropColumn("message_id").execute();
}
