import { sql } from "kysely";
import { type Migration, type MigrationProvider, Migrator } from "kysely/migration";
import * as accounts from "../../db/migrations/2026_11_23_0001_accounts.ts";
import * as email from "../../db/migrations/2026_11_23_0002_email.ts";
import * as credits from "../../db/migrations/2026_11_23_0003_credits.ts";
import * as identities from "../../db/migrations/2026_12_02_0007_identities.ts";
import * as messageId from "../../db/migrations/2026_12_02_0004_message_id.ts";
import * as revertEmailChange from "../../db/migrations/2026_12_02_0005_revert_email_change.ts";
import * as webhooks from "../../db/migrations/2026_12_02_0006_webhooks.ts";
import * as sharedState from "../../db/migrations/2026_12_02_0005_shared_state.ts";
import type { Db } from "./database.ts";

/** Every migration, statically imported so `deno compile` and the Docker image carry them. */
const migrations: Record<string, Migration> = {
  "2026_11_23_0001_accounts": accounts,
  "2026_11_23_0002_email": email,
  "2026_11_23_0003_credits": credits,
  "2026_12_02_0007_identities": identities,
  "2026_12_02_0004_message_id": messageId,
  "2026_12_02_0005_revert_email_change": revertEmailChange,
  "2026_12_02_0006_webhooks": webhooks,
  "2026_12_02_0005_shared_state": sharedState,
};

/** The names of every migration, in the order they apply. */
export const migrationNames: readonly string[] = Object.keys(migrations).sort();

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

/**
 * Brings the schema up to date; each migration runs in its own transaction.
 * @throws {Error} with the failing migration's name when one fails
 */
export async function migrateToLatest(db: Db): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`Migration ${failed} failed: ${error}`);
  }
}

/** One migration this build knows, and when it was applied (`null`: pending). */
export interface MigrationState {
  name: string;
  appliedAt: string | null;
}

/**
 * Every migration this build knows, in order, each with when it was applied; writes nothing (a
 * database never migrated has every migration pending).
 * @throws {Error} when the database does not answer
 */
export async function migrationStatus(db: Db): Promise<MigrationState[]> {
  await sql`select 1`.execute(db);
  let applied = new Map<string, string>();
  try {
    const { rows } = await sql<{ name: string; timestamp: string }>`
      select name, timestamp from kysely_migration`.execute(db);
    applied = new Map(rows.map((row) => [row.name, String(row.timestamp)]));
  } catch {
    // No migration table yet: nothing was ever applied.
  }
  return Object.keys(migrations).sort().map((name) => ({
    name,
    appliedAt: applied.get(name) ?? null,
  }));
}
