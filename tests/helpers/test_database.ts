import pg from "pg";
import type { Db } from "../../src/data/database.ts";
import { openDatabase } from "../../src/data/database.ts";
import { openPostgres } from "../../src/data/postgres.ts";

/**
 * The PostgreSQL server the suite runs against when `TEST_DATABASE_URL` is set (a URL of a
 * database the user may `CREATE DATABASE` from); unset: every test server uses SQLite.
 */
export const testDatabaseUrl: string | undefined = Deno.env.get("TEST_DATABASE_URL") || undefined;

/** Whether this run of the suite is on PostgreSQL: for the few tests of SQLite's own mechanisms. */
export const onPostgres = testDatabaseUrl !== undefined;

/** A database of its own for one test server; `drop` removes it (closing what is connected). */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database on the `TEST_DATABASE_URL` server for one test server, so test files
 * running in parallel never see each other's rows; the server's start-up migrates it.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDatabaseUrl === undefined) throw new Error("TEST_DATABASE_URL is not set");
  const name = `vestibule_test_${crypto.randomUUID().replaceAll("-", "")}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: async () => {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * A migrated-or-not database handle for tests below the server: a fresh PostgreSQL database when
 * the suite runs on PostgreSQL, otherwise a SQLite file in a temporary directory.
 */
export async function openTestDatabase(
  poolSize = 4,
): Promise<{ db: Db; url?: string; close(): Promise<void> }> {
  if (onPostgres) {
    const database = await createTestDatabase();
    const db = openPostgres(database.url, poolSize);
    return {
      db,
      url: database.url,
      close: async () => {
        await db.destroy();
        await database.drop();
      },
    };
  }
  const dir = await Deno.makeTempDir({ prefix: "vestibule-db-" });
  const db = openDatabase(`${dir}/test.sqlite`);
  return {
    db,
    close: async () => {
      await db.destroy();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
