/**
 * `deno task bench` (third part): the purge of 10,000 accounts past their deletion date, each
 * with a picture file, 100 ledger rows, three sessions and a few audit events, run inside the
 * serving process as the scheduler runs it (the `purge-deletions` job, in its worker). Measured: the purge's total time (target
 * <= 20 s), and `GET /api/v1/users/me` p99 seen by a probe in another process (one request every
 * 2 ms) during the purge against the same probe's idle p99 (target <= 3x).
 *
 * With `BENCH_DATABASE_URL=postgres://…` (a server on which the user may create databases) it runs
 * on a fresh PostgreSQL database of its own instead of SQLite, dropped at the end.
 */
import { sql } from "kysely";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/log.ts";
import { startServer } from "../../src/server.ts";
import { purgeDeletionsJob } from "../../src/jobs/purge_deletions.ts";
import { startProbe } from "./probe.ts";
import type { Db } from "../../src/data/database.ts";
import { isPostgres } from "../../src/data/dialect.ts";
import { benchDatabase } from "./bench_database.ts";
import { registerMember } from "./bench.ts";

const MEMBERS = Number(Deno.env.get("PURGE_BENCH_MEMBERS") ?? 10_000);
const LEDGER_ROWS = 100;
/** Seeds the due members straight in SQL (recursive CTEs): a million ledger rows in seconds. */
async function seed(db: Db, uploadRoot: string, past: string): Promise<void> {
  const postgres = isPostgres(db);
  const id = (column: string) =>
    sql.raw(
      postgres
        ? `('00000000-0000-4000-8000-' || lpad(${column}::text, 12, '0'))`
        : `printf('00000000-0000-4000-8000-%012d', ${column})`,
    );
  // `printf` is SQLite's; PostgreSQL concatenates numbers with `||` as SQLite does.
  const text = (prefix: string, ...columns: string[]) =>
    sql.raw(`'${prefix}' || ${columns.join(" || '-' || ")}`);
  await db.transaction().execute(async (trx) => {
    const members =
      sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${MEMBERS})`;
    await sql`${members}
      INSERT INTO users (id, email, password_hash, name, profile_picture, subscription_tier, role,
        status, deletion_date, created_at, updated_at)
      SELECT ${id("i")}, ${text("purge-", "i")} || '@example.com', 'x', 'Bench Member',
        '/uploads/profiles/' || ${id("i")} || '/picture.jpg', 'free', 'member',
        'pending_deletion', ${past}, ${past}, ${past} FROM n`.execute(trx);
    await sql`${members}, k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < 3)
      INSERT INTO sessions (id, user_id, user_agent, ip_address, created_at, last_used_at, expires_at)
      SELECT ${text("session-", "i", "j")}, ${id("i")}, 'Bench/1.0', '127.0.0.1', ${past}, ${past},
        '2099-01-01T00:00:00.000Z' FROM n, k`.execute(trx);
    await sql`INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at)
      SELECT id, 'hash-' || id, ${past}, '2099-01-01T00:00:00.000Z' FROM sessions
      WHERE id LIKE 'session-%'`.execute(trx);
    await sql`${members}
      INSERT INTO credit_lots (id, user_id, source, granted, remaining, created_at)
      SELECT ${text("lot-", "i")}, ${id("i")}, 'purchase', ${LEDGER_ROWS * 10}, ${LEDGER_ROWS * 10},
        ${past} FROM n`.execute(trx);
    await sql`${members}
      INSERT INTO credit_accounts (id, user_id, balance, granted, transaction_count, grant_count)
      SELECT ${text("account-", "i")}, ${id("i")}, ${LEDGER_ROWS * 10}, ${
      LEDGER_ROWS * 10
    }, ${LEDGER_ROWS}, ${LEDGER_ROWS}
      FROM n`.execute(trx);
    await sql`${members}, k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < ${LEDGER_ROWS})
      INSERT INTO credit_transactions (account_id, type, amount, balance_after, description,
        seq, type_seq, created_at)
      SELECT ${text("account-", "i")}, 'grant', 10, 10 * j, 'Bench grant', j, j, ${past}
      FROM n, k`.execute(trx);
    await sql`${members}
      INSERT INTO audit_events (user_id, event, ip_address, user_agent, created_at)
      SELECT ${id("i")}, 'sign_in.succeeded', '127.0.0.1', 'Bench/1.0', ${past} FROM n`.execute(
      trx,
    );
  });
  const picture = new Uint8Array(2048);
  for (let i = 1; i <= MEMBERS; i++) {
    const dir = `${uploadRoot}/profiles/00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeFile(`${dir}/picture.jpg`, picture);
  }
}

async function main(): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "vestibule-purge-bench-" });
  const database = await benchDatabase();
  const server = await startServer(
    loadConfig({
      DATA_DIR: dataDir,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_REQUESTS: "false",
      ...(database === undefined
        ? {}
        : { DATABASE_URL: database.url, JWT_SECRET: crypto.randomUUID() + crypto.randomUUID() }),
    }),
    { log: silentLogger },
    { startJobs: false },
  );
  try {
    const token = await registerMember(server.url, "probe@example.com");
    const past = new Date(server.deps.clock.now().getTime() - 86_400_000).toISOString();
    console.error(`purge: seeding ${MEMBERS} due members with ${LEDGER_ROWS} ledger rows each`);
    let started = performance.now();
    await seed(server.deps.db, server.deps.uploads.root, past);
    console.error(`purge: seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const meUrl = `${server.url}/api/v1/users/me`;
    let stopProbe = await startProbe(meUrl, token);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const idle = await stopProbe();

    console.error("purge: purging, with the probe running");
    stopProbe = await startProbe(meUrl, token);
    started = performance.now();
    const result = await purgeDeletionsJob.run(server.deps);
    const seconds = (performance.now() - started) / 1000;
    const during = await stopProbe();

    const remaining = await server.deps.db.selectFrom("users").select((eb) =>
      eb.fn.countAll().as("n")
    )
      .where("status", "=", "pending_deletion").executeTakeFirstOrThrow();
    const kept = await server.deps.db.selectFrom("credit_transactions")
      .select((eb) => eb.fn.countAll().as("n")).where(
        "account_id",
        "in",
        server.deps.db.selectFrom("credit_accounts").select("id").where("user_id", "is", null),
      )
      .executeTakeFirstOrThrow();
    const folders = (await server.deps.uploads.list("profiles")).length;
    console.log(`
| Purge measurement (${database ? "PostgreSQL" : "SQLite"}) | Value | Target |
|---|---:|---|
| accounts purged | ${result.accounts_purged} (left: ${remaining.n}, picture files left: ${folders}) | ${MEMBERS} |
| ledger rows kept, anonymised | ${kept.n} | ${MEMBERS * LEDGER_ROWS} |
| total purge time | ${seconds.toFixed(1)} s (${
      (seconds * 1000 / MEMBERS).toFixed(2)
    } ms per member) | <= 20 s ${seconds <= 20 ? "ok" : "MISSED"} |
| GET /users/me p99, idle | ${idle.p99.toFixed(2)} ms (${idle.count} requests, max ${
      idle.max.toFixed(1)
    } ms) | |
| GET /users/me p99, during the purge | ${
      during.p99.toFixed(2)
    } ms (${during.count} requests, max ${during.max.toFixed(1)} ms) | |
| ratio | ${(during.p99 / idle.p99).toFixed(2)} x idle | <= 3 ${
      during.p99 / idle.p99 <= 3 ? "ok" : "MISSED"
    } |`);
  } finally {
    await server.shutdown();
    await database?.drop();
    await Deno.remove(dataDir, { recursive: true });
  }
}

if (import.meta.main) await main();
