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
 * Takes about a minute, most of it building indexes. Results go to stdout, progress to stderr.
 */
import { DatabaseSync } from "node:sqlite";
import { Kysely } from "kysely";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/data/database.ts";
import { nodeSqliteDialect } from "../../src/data/sqlite_dialect.ts";
import { closeDeps, createDeps } from "../../src/deps.ts";
import { silentLogger } from "../../src/log.ts";
import { listTransactions } from "../../src/services/credits.ts";

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
  // Row n (1-based) belongs to the member when n % 5 = 0 (its seq is n / 5); otherwise to other
  // member (k - 1) % 40000 with seq (k - 1) / 40000 + 1, k counting the other rows. Per member,
  // seq % 4 cycles grant +10, debit -3, debit -3, refund +3, so balance and type_seq are
  // arithmetic; created_at is one second per row from 2024-01-01, increasing within a member.
  timed(`${TOTAL_ROWS.toLocaleString("en")} ledger rows`, () =>
    raw.exec(`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${TOTAL_ROWS}),
      rows AS (
        SELECT i,
          CASE WHEN i % 5 = 0 THEN '${MEMBER}'
               ELSE printf('member-%05d', (i - i / 5 - 1) % ${OTHER_MEMBERS}) END AS user_id,
          CASE WHEN i % 5 = 0 THEN i / 5
               ELSE (i - i / 5 - 1) / ${OTHER_MEMBERS} + 1 END AS seq
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
        strftime('%Y-%m-%dT%H:%M:%fZ', 1704067200 + i, 'unixepoch')
      FROM cycled;`));
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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const dataDir = await Deno.makeTempDir({ prefix: "vestibule-ledger-bench-" });
const config = loadConfig({ DATA_DIR: dataDir, LOG_REQUESTS: "false" });
try {
  // Migrate through the application, then seed beside it, then open it again for the run.
  const migrated = await createDeps(config, { log: silentLogger });
  await closeDeps(migrated);
  seed(config.databasePath);

  const deps = await createDeps(config, { log: silentLogger });
  const captured: { sql: string; parameters: readonly unknown[] }[] = [];
  const logging = new Kysely<Database>({
    dialect: nodeSqliteDialect(new DatabaseSync(config.databasePath)),
    log: (event) => {
      if (event.level === "query") {
        captured.push({ sql: event.query.sql, parameters: event.query.parameters });
      }
    },
  });
  const raw = new DatabaseSync(config.databasePath);
  try {
    const count = raw.prepare("SELECT count(*) AS n FROM credit_transactions").get() as {
      n: number;
    };
    console.log(
      `ledger rows: ${count.n.toLocaleString("en")}, of which ${
        MEMBER_ROWS.toLocaleString("en")
      } for the member; ${ITERATIONS} calls per case\n`,
    );
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
        const plan = raw.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
          .all(...(statement.parameters as (string | number | null)[])) as { detail: string }[];
        plans.push(`  ${statement.sql}`);
        for (const row of plan) plans.push(`    → ${row.detail}`);
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
      const statement = raw.prepare(sql);
      const samples: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        statement.all(MEMBER);
        samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      console.log(`  ${name}: p50 ${percentile(samples, 50).toFixed(1)} ms`);
    }
    console.log("\nEXPLAIN QUERY PLAN\n");
    console.log(plans.join("\n"));
  } finally {
    raw.close();
    await logging.destroy();
    await closeDeps(deps);
  }
} finally {
  await Deno.remove(dataDir, { recursive: true });
}
