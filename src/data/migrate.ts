import { type Migration, type MigrationProvider, Migrator } from "kysely/migration";
import * as accounts from "../../db/migrations/2026_11_23_0001_accounts.ts";
import * as email from "../../db/migrations/2026_11_23_0002_email.ts";
import * as credits from "../../db/migrations/2026_11_23_0003_credits.ts";
import * as sharedState from "../../db/migrations/2026_12_02_0005_shared_state.ts";
import type { Db } from "./database.ts";

/** Every migration, statically imported so `deno compile` and the Docker image carry them. */
const migrations: Record<string, Migration> = {
  "2026_11_23_0001_accounts": accounts,
  "2026_11_23_0002_email": email,
  "2026_11_23_0003_credits": credits,
  "2026_12_02_0005_shared_state": sharedState,
};

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
