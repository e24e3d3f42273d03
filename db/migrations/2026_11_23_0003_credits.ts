import { type Kysely, sql } from "kysely";
import { autoId, clusteredByPrimaryKey, withInsertionOrder } from "./portable.ts";

// Frozen in time: never import from src/, never edit once landed; write the next migration.
// (Made portable to PostgreSQL through ./portable.ts; the SQLite schema it writes is unchanged.)

// deno-lint-ignore no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // One row per member who ever held credits: the ledger's running totals and counters, written in
  // the same transaction as every ledger row. Its first write also takes SQLite's write lock before
  // a use case reads anything, so two processes (server, CLI) never race a read-then-write.
  await db.schema.createTable("credit_accounts")
    // The ledger's owner is this account, not the member: the purge removes the one link below
    // (user_id becomes NULL) and leaves every ledger row as it was, owned by an opaque id.
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.unique().references("users.id").onDelete("set null"))
    .addColumn("balance", "integer", (c) => c.notNull().defaultTo(0).check(sql`balance >= 0`))
    .addColumn("granted", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("spent", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("refunded", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("expired", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("transaction_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("grant_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("debit_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("refund_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("expire_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_transaction_at", "text")
    .execute();

  await db.schema.createTable("credit_lots")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("granted", "integer", (c) => c.notNull().check(sql`granted > 0`))
    .addColumn("remaining", "integer", (c) => c.notNull())
    .addColumn("expired", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("expires_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addCheckConstraint(
      "credit_lots_amounts",
      sql`remaining >= 0 and expired >= 0 and remaining + expired <= granted`,
    )
    .$call(withInsertionOrder(db))
    .execute();
  await db.schema.createIndex("credit_lots_user").on("credit_lots")
    .columns(["user_id", "created_at"]).execute();
  // What the expiry job looks for: lots still holding credits, by date.
  await db.schema.createIndex("credit_lots_due").on("credit_lots").column("expires_at")
    .where(sql.ref("remaining"), ">", 0).where(sql.ref("expires_at"), "is not", null).execute();

  await db.schema.createTable("jobs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn(
      "status",
      "text",
      (c) => c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed')`),
    )
    .addColumn("credits_cost", "integer", (c) => c.notNull().check(sql`credits_cost > 0`))
    .addColumn("description", "text")
    .addColumn("error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("started_at", "text")
    .addColumn("finished_at", "text")
    .addColumn("refunded_at", "text")
    .addColumn("debit_transaction_id", "integer")
    .addColumn("refund_transaction_id", "integer")
    .$call(withInsertionOrder(db))
    .execute();
  await db.schema.createIndex("jobs_user").on("jobs").columns(["user_id", "created_at"]).execute();
  await db.schema.createIndex("jobs_user_status").on("jobs")
    .columns(["user_id", "status", "created_at"]).execute();

  // The ledger. Rows are never deleted nor changed: the purge unlinks their account from the member.
  // `seq` numbers a member's rows 1, 2, 3…, and `type_seq` their rows of one type, both in
  // insertion order, with `created_at` never going backwards within a member: a page, a total and
  // a date range then cost index seeks instead of OFFSET scans and COUNT(*)s.
  await db.schema.createTable("credit_transactions")
    .addColumn("id", "integer", autoId(db))
    .addColumn("account_id", "text", (c) => c.notNull().references("credit_accounts.id"))
    .addColumn(
      "type",
      "text",
      (c) => c.notNull().check(sql`type in ('grant', 'debit', 'refund', 'expire')`),
    )
    .addColumn("amount", "integer", (c) => c.notNull())
    .addColumn("balance_after", "integer", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("type_seq", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("credit_transactions_account_seq").on("credit_transactions")
    .columns(["account_id", "seq"]).unique().execute();
  await db.schema.createIndex("credit_transactions_account_type_seq").on("credit_transactions")
    .columns(["account_id", "type", "type_seq"]).unique().execute();
  await db.schema.createIndex("credit_transactions_account_date").on("credit_transactions")
    .columns(["account_id", "created_at"]).execute();
  await db.schema.createIndex("credit_transactions_account_type_date").on("credit_transactions")
    .columns(["account_id", "type", "created_at"]).execute();
  // Ledger rows point at no row the purge deletes (no lot, no job): jobs point at their debit
  // and refund instead, so a purge never rewrites a ledger row.
  await db.schema.createIndex("jobs_debit_transaction").on("jobs").column("debit_transaction_id")
    .where(sql.ref("debit_transaction_id"), "is not", null).execute();
  await db.schema.createIndex("jobs_refund_transaction").on("jobs").column("refund_transaction_id")
    .where(sql.ref("refund_transaction_id"), "is not", null).execute();

  // How much each debit took from each lot, so a refund gives back exactly those credits.
  await db.schema.createTable("credit_debit_allocations")
    .addColumn(
      "transaction_id",
      "integer",
      (c) => c.notNull().references("credit_transactions.id").onDelete("cascade"),
    )
    .addColumn(
      "lot_id",
      "text",
      (c) => c.notNull().references("credit_lots.id").onDelete("cascade"),
    )
    .addColumn("amount", "integer", (c) => c.notNull().check(sql`amount > 0`))
    .addPrimaryKeyConstraint("credit_debit_allocations_pk", ["transaction_id", "lot_id"])
    .$call(clusteredByPrimaryKey(db))
    .execute();
  await db.schema.createIndex("credit_debit_allocations_lot").on("credit_debit_allocations")
    .column("lot_id").execute();
}

// deno-lint-ignore no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("credit_debit_allocations").execute();
  await db.schema.dropTable("credit_transactions").execute();
  await db.schema.dropTable("jobs").execute();
  await db.schema.dropTable("credit_lots").execute();
  await db.schema.dropTable("credit_accounts").execute();
}
