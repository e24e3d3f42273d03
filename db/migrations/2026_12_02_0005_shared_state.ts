import type { Kysely } from "kysely";

// Frozen in time: never import from src/, never edit once landed; write the next migration.

// deno-lint-ignore no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Rate-limit windows every instance counts in (one upsert per attempt); ended ones are pruned.
  await db.schema.createTable("rate_limits")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("count", "integer", (c) => c.notNull())
    .addColumn("reset_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("rate_limits_reset_at").on("rate_limits").column("reset_at")
    .execute();

  // One row per scheduled run: the instance that inserts it runs the job, the others skip that tick.
  await db.schema.createTable("job_runs")
    .addColumn("job", "text", (c) => c.notNull())
    .addColumn("tick", "text", (c) => c.notNull())
    .addColumn("started_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("job_runs_pk", ["job", "tick"])
    .execute();
}

// deno-lint-ignore no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("job_runs").execute();
  await db.schema.dropTable("rate_limits").execute();
}
