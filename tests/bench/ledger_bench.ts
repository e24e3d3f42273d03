/**
 * `deno task bench:ledger`: the transaction history of a member with a long ledger.
 *
 * Seeds 5,000,000 ledger rows into a fresh database in a temporary directory, 1,000,000 of them
 * for one member (every fifth row, interleaved with 40,000 other members' 100 rows each), with one
 * multi-row `INSERT … SELECT` over a recursive CTE run by SQLite itself (the table's indexes are
 * dropped for the load and created again from the migration's own definitions). The member's
 * account row (counters and totals) is then derived from the ledger in one aggregate.
 *
 * It then times `listTransactions()` (the service behind `GET /users/me/transactions`, so every
 * answer carries its total) on the first page, a page deep in the history, a type-filtered page
 * and a date-range page: warm-up, then `ITERATIONS` calls each, p50 and p95 printed against the
 * 10 ms target, followed by the `EXPLAIN QUERY PLAN` of each SQL statement those calls run.
 *
 * With `BENCH_DATABASE_URL=postgres://…` (a server on which the user may create databases) the
 * same rows are seeded into a fresh PostgreSQL database with `generate_series`, the same calls are
 * timed through the application's pool, and the plans are PostgreSQL's `EXPLAIN`.
 *
 * Takes about a minute on SQLite, most of it building indexes (a few minutes on PostgreSQL).
 * Results go to stdout, progress to stderr.
 */
import { DatabaseSync } from "node:sqlite";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/data/database.ts";
import { nodeSqliteDialect } from "../../src/data/sqlite_dialect.ts";
import { closeDeps, createDeps } from "../../src/deps.ts";
import { silentLogger } from "../../src/log.ts";
import { listTransactions } from "../../src/services/credits.ts";
import { benchDatabase } from "./bench_database.ts";

const TOTAL_ROWS = 5_000_000;
const MEMBER_ROWS = TOTAL_ROWS / 5;
const OTHER_MEMBERS = 40_000;
const ITERATIONS = 300;
const TARGET_P95_MS = 10;
const MEMBER = "00000000-0000-4000-8000-000000000001";

type Query = Parameters<typeof listTransactions>[2];

const cases: { name: string; query: Query }[] = [
  { name: "first page", query: { page: 1, limit: 20, type: "all" } },
  { name: "deep page (25,000 of 50,000)", query: { page: 25_000, limit: 20, type: "all" } },
  { name: "filtered: type=debit, page 1", query: { page: 1, limit: 20, type: "debit" } },
  {
    name: "filtered: type=debit, page 10,000",
    query: { page: 10_000, limit: 20, type: "debit" },
  },
  {
    name: "date range (one week), page 50",
    query: {
      page: 50,
      limit: 20,
      type: "all",
      start_date: "2024-01-20",
      end_date: "2024-01-26T23:59:59Z",
    },
  },
  {
    name: "date range + type=refund, page 3",
    query: {
      page: 3,
      limit: 20,
      type: "refund",
      start_date: "2024-01-20",
      end_date: "2024-01-26",
    },
  },
];

function progress(message: string): void {
  console.error(`[ledger bench] ${message}`);
}

function timed<T>(label: string, run: () => T): T {
  const started = performance.now();
  const result = run();
  progress(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/**
 * The seed's ledger rows in one `INSERT … SELECT`, written once for both databases: `numbers` is a
 * CTE `n(i)` counting 1 to `TOTAL_ROWS`, `memberName` and `timestamp` the database's own spelling.
 * Row n (1-based) belongs to the member when n % 5 = 0 (its seq is n / 5); otherwise to other
 * member (k - 1) % 40000 with seq (k - 1) / 40000 + 1, k counting the other rows. Per member,
 * seq % 4 cycles grant +10, debit -3, debit -3, refund +3, so balance and type_seq are
 * arithmetic; created_at is one second per row from 2024-01-01, increasing within a member.
 */
function ledgerRowsInsert(spelling: {
  numbers: string;
  memberName: (number: string) => string;
  timestamp: (seconds: string) => string;
}): string {
  return `${spelling.numbers},
    rows AS (
      SELECT i,
        CASE WHEN i % 5 = 0 THEN '${MEMBER}'
             ELSE ${spelling.memberName(`(i - i / 5 - 1) % ${OTHER_MEMBERS}`)} END AS user_id,
        CASE WHEN i % 5 = 0 THEN i / 5 ELSE (i - i / 5 - 1) / ${OTHER_MEMBERS} + 1 END AS seq
      FROM n
    ),
    cycled AS (SELECT i, user_id, seq, (seq - 1) / 4 AS k, (seq - 1) % 4 AS r FROM rows)
    INSERT INTO credit_transactions
      (id, account_id, type, amount, balance_after, description, seq, type_seq, created_at)
    SELECT i, 'acct-' || user_id,
      CASE r WHEN 0 THEN 'grant' WHEN 3 THEN 'refund' ELSE 'debit' END,
      CASE r WHEN 0 THEN 10 WHEN 3 THEN 3 ELSE -3 END,
      7 * k + CASE r WHEN 0 THEN 10 WHEN 1 THEN 7 WHEN 2 THEN 4 ELSE 7 END,
      CASE r WHEN 0 THEN 'Credits granted (purchase)' WHEN 3 THEN 'Refund: render failed'
             ELSE 'Job: render' END,
      seq,
      CASE r WHEN 0 THEN k + 1 WHEN 1 THEN 2 * k + 1 WHEN 2 THEN 2 * k + 2 ELSE k + 1 END,
      ${spelling.timestamp("1704067200 + i")}
    FROM cycled`;
}

/** Fills users, credit_transactions and credit_accounts directly in SQLite. */
function seed(path: string): void {
  const raw = new DatabaseSync(path);
  raw.exec("PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -262144;");
  const indexes = raw.prepare(
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'credit_transactions' AND sql IS NOT NULL",
  ).all() as { name: string; sql: string }[];

  timed("users", () =>
    raw.exec(`
      INSERT INTO users (id, email, password_hash, created_at, updated_at)
      VALUES ('${MEMBER}', 'long-history@example.com', 'x', '2024-01-01T00:00:00.000Z',
              '2024-01-01T00:00:00.000Z');
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${OTHER_MEMBERS - 1})
      INSERT INTO users (id, email, password_hash, created_at, updated_at)
      SELECT printf('member-%05d', i), printf('member-%05d@example.com', i), 'x',
             '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z' FROM n;`));

  for (const index of indexes) raw.exec(`DROP INDEX ${index.name}`);
  timed(`${TOTAL_ROWS.toLocaleString("en")} ledger rows`, () =>
    raw.exec(ledgerRowsInsert({
      numbers:
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${TOTAL_ROWS})`,
      memberName: (number) => `printf('member-%05d', ${number})`,
      timestamp: (seconds) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${seconds}, 'unixepoch')`,
    })));
  for (const index of indexes) timed(`index ${index.name}`, () => raw.exec(index.sql));
  timed("accounts", () =>
    raw.exec(`
      INSERT INTO credit_accounts
        (id, user_id, balance, granted, spent, refunded, expired, transaction_count, grant_count,
         debit_count, refund_count, expire_count, last_transaction_at)
      SELECT account_id, substr(account_id, 6), sum(amount),
        sum(CASE type WHEN 'grant' THEN amount ELSE 0 END),
        -sum(CASE type WHEN 'debit' THEN amount ELSE 0 END),
        sum(CASE type WHEN 'refund' THEN amount ELSE 0 END),
        -sum(CASE type WHEN 'expire' THEN amount ELSE 0 END),
        count(*), sum(type = 'grant'), sum(type = 'debit'), sum(type = 'refund'),
        sum(type = 'expire'), max(created_at)
      FROM credit_transactions GROUP BY account_id;`));
  raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  raw.close();
}

/**
 * The same rows as `seed`, in PostgreSQL: one `INSERT … SELECT` over `generate_series` with the
 * ledger's indexes dropped for the load and built again from their own definitions, then
 * `ANALYZE`.
 */
async function seedPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const run = async (label: string, statement: string) => {
    const started = performance.now();
    await client.query(statement);
    progress(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  try {
    const { rows: indexes } = await client.query<{ name: string; sql: string }>(
      `SELECT indexname AS name, indexdef AS sql FROM pg_indexes
       WHERE tablename = 'credit_transactions' AND indexname NOT LIKE '%_pkey'`,
    );
    await run(
      "users",
      `INSERT INTO users (id, email, password_hash, created_at, updated_at)
       VALUES ('${MEMBER}', 'long-history@example.com', 'x', '2024-01-01T00:00:00.000Z',
               '2024-01-01T00:00:00.000Z');
       INSERT INTO users (id, email, password_hash, created_at, updated_at)
       SELECT format('member-%s', lpad(i::text, 5, '0')),
              format('member-%s@example.com', lpad(i::text, 5, '0')), 'x',
              '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'
       FROM generate_series(0, ${OTHER_MEMBERS - 1}) AS i;`,
    );
    // credit_transactions references credit_accounts: the accounts go first, with zero totals,
    // and get their totals from the ledger once it is loaded.
    await run(
      "accounts",
      `INSERT INTO credit_accounts (id, user_id) SELECT 'acct-' || id, id FROM users`,
    );
    for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
    await run(
      `${TOTAL_ROWS.toLocaleString("en")} ledger rows`,
      ledgerRowsInsert({
        numbers: `WITH n(i) AS (SELECT * FROM generate_series(1, ${TOTAL_ROWS}))`,
        memberName: (number) => `format('member-%s', lpad((${number})::text, 5, '0'))`,
        timestamp: (seconds) =>
          `to_char(to_timestamp(${seconds}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
      }),
    );
    for (const index of indexes) await run(`index ${index.name}`, index.sql);
    await run(
      "account totals",
      `UPDATE credit_accounts a SET
         balance = t.balance, granted = t.granted, spent = t.spent, refunded = t.refunded,
         expired = t.expired, transaction_count = t.n, grant_count = t.grants,
         debit_count = t.debits, refund_count = t.refunds, expire_count = t.expires,
         last_transaction_at = t.last_at
       FROM (
         SELECT account_id, sum(amount) AS balance,
           sum(CASE type WHEN 'grant' THEN amount ELSE 0 END) AS granted,
           -sum(CASE type WHEN 'debit' THEN amount ELSE 0 END) AS spent,
           sum(CASE type WHEN 'refund' THEN amount ELSE 0 END) AS refunded,
           -sum(CASE type WHEN 'expire' THEN amount ELSE 0 END) AS expired,
           count(*) AS n, count(*) FILTER (WHERE type = 'grant') AS grants,
           count(*) FILTER (WHERE type = 'debit') AS debits,
           count(*) FILTER (WHERE type = 'refund') AS refunds,
           count(*) FILTER (WHERE type = 'expire') AS expires, max(created_at) AS last_at
         FROM credit_transactions GROUP BY account_id
       ) t
       WHERE a.id = t.account_id`,
    );
    await run("analyze", "ANALYZE");
  } finally {
    await client.end();
  }
}

/** How a database explains a statement: one line per plan step. */
type Explain = (sql: string, parameters: readonly unknown[]) => Promise<string[]>;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const database = await benchDatabase();
const dataDir = await Deno.makeTempDir({ prefix: "vestibule-ledger-bench-" });
const config = loadConfig({
  DATA_DIR: dataDir,
  LOG_REQUESTS: "false",
  ...(database === undefined ? {} : { DATABASE_URL: database.url }),
});
try {
  // Migrate through the application, then seed beside it, then open it again for the run.
  const migrated = await createDeps(config, { log: silentLogger });
  await closeDeps(migrated);
  if (database === undefined) seed(config.databasePath);
  else await seedPostgres(database.url);

  const deps = await createDeps(config, { log: silentLogger });
  const captured: { sql: string; parameters: readonly unknown[] }[] = [];
  const log = (
    event: { level: string; query: { sql: string; parameters: readonly unknown[] } },
  ) => {
    if (event.level === "query") {
      captured.push({ sql: event.query.sql, parameters: event.query.parameters });
    }
  };
  let logging: Kysely<Database>;
  let explain: Explain;
  let rawSql: (sql: string, parameters: unknown[]) => Promise<unknown>;
  let closeRaw: () => Promise<void>;
  if (database === undefined) {
    logging = new Kysely<Database>({
      dialect: nodeSqliteDialect(new DatabaseSync(config.databasePath)),
      log,
    });
    const raw = new DatabaseSync(config.databasePath);
    explain = (sql, parameters) =>
      Promise.resolve(
        (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(
          ...(parameters as (string | number | null)[]),
        ) as { detail: string }[]).map((row) => row.detail),
      );
    rawSql = (sql, parameters) =>
      Promise.resolve(raw.prepare(sql).all(...(parameters as (string | number | null)[])));
    closeRaw = () => Promise.resolve(raw.close());
  } else {
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    logging = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log });
    explain = async (sql, parameters) =>
      (await pool.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`, parameters as unknown[]))
        .rows.map((row) => row["QUERY PLAN"]);
    rawSql = (sql, parameters) => pool.query(sql.replace("?", "$1"), parameters);
    closeRaw = () => Promise.resolve();
  }
  try {
    const count = await logging.selectFrom("credit_transactions")
      .select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    console.log(
      `${database === undefined ? "SQLite" : "PostgreSQL"}: ledger rows: ${
        Number(count.n).toLocaleString("en")
      }, of which ${
        MEMBER_ROWS.toLocaleString("en")
      } for the member; ${ITERATIONS} calls per case\n`,
    );
    captured.length = 0;
    console.log("| query | total | rows | p50 ms | p95 ms | target |");
    console.log("|---|---:|---:|---:|---:|---|");
    const plans: string[] = [];
    for (const { name, query } of cases) {
      for (let i = 0; i < 30; i++) await listTransactions(deps, MEMBER, query);
      const samples: number[] = [];
      let answer;
      for (let i = 0; i < ITERATIONS; i++) {
        const started = performance.now();
        answer = await listTransactions(deps, MEMBER, query);
        samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      const p95 = percentile(samples, 95);
      console.log(
        `| ${name} | ${answer!.pagination.total.toLocaleString("en")} | ${
          answer!.transactions.length
        } | ${percentile(samples, 50).toFixed(2)} | ${p95.toFixed(2)} | ${
          p95 <= TARGET_P95_MS ? "met" : "MISSED"
        } |`,
      );

      captured.length = 0;
      await listTransactions({ ...deps, db: logging }, MEMBER, query);
      plans.push(`${name}:`);
      for (const statement of captured) {
        if (!/^select/i.test(statement.sql)) continue;
        plans.push(`  ${statement.sql}`);
        for (const line of await explain(statement.sql, statement.parameters)) {
          plans.push(`    → ${line}`);
        }
      }
    }
    console.log("\nFor comparison, OFFSET and COUNT(*) over the member's rows (raw SQL, 10 runs):");
    for (
      const [name, sql] of [
        [
          "deep page by OFFSET 499,980",
          "SELECT id FROM credit_transactions WHERE account_id = 'acct-' || ? ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 499980",
        ],
        [
          "COUNT(*) of the member's rows",
          "SELECT count(*) FROM credit_transactions WHERE account_id = 'acct-' || ?",
        ],
      ]
    ) {
      const samples: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        await rawSql(sql, [MEMBER]);
        samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      console.log(`  ${name}: p50 ${percentile(samples, 50).toFixed(1)} ms`);
    }
    console.log(`\n${database === undefined ? "EXPLAIN QUERY PLAN" : "EXPLAIN"}\n`);
    console.log(plans.join("\n"));
  } finally {
    await closeRaw();
    await logging.destroy();
    await closeDeps(deps);
  }
} finally {
  await Deno.remove(dataDir, { recursive: true });
  await database?.drop();
}
