import { type Kysely, sql } from "kysely";
import { onPostgres } from "./portable.ts";

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

  // PostgreSQL: every updated or deleted member or session is announced at commit to each
  // instance's live-session cache (SQLite's cache uses temporary triggers of its own instead).
  if (onPostgres(db)) {
    await sql`
      CREATE FUNCTION vestibule_live_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('vestibule_live_sessions', TG_TABLE_NAME || ':' || OLD.id);
        RETURN NULL;
      END $$`.execute(db);
    for (const table of ["users", "sessions"]) {
      await sql`
        CREATE TRIGGER ${sql.raw(`${table}_live_session_changed`)}
        AFTER UPDATE OR DELETE ON ${sql.table(table)}
        FOR EACH ROW EXECUTE FUNCTION vestibule_live_session_changed()`.execute(db);
    }
  }
}

// deno-lint-ignore no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  if (onPostgres(db)) {
    await sql`DROP TRIGGER users_live_session_changed ON users`.execute(db);
    await sql`DROP TRIGGER sessions_live_session_changed ON sessions`.execute(db);
    await sql`DROP FUNCTION vestibule_live_session_changed()`.execute(db);
  }
  await db.schema.dropTable("job_runs").execute();
  await db.schema.dropTable("rate_limits").execute();
}
