import { type CreditAccountRow, saveCreditAccount } from "./credit_accounts.ts";
import type { CreditTransactionType, Db, JobStatus } from "./database.ts";

/** A ledger row as the history shows it, with its job when it has one. */
export interface TransactionListRow {
  id: number;
  type: CreditTransactionType;
  description: string;
  amount: number;
  balance_after: number;
  created_at: string;
  job_id: string | null;
  job_kind: string | null;
  job_status: JobStatus | null;
}

const totalColumn = {
  grant: "granted",
  debit: "spent",
  refund: "refunded",
  expire: "expired",
} as const;

/**
 * Appends one row to the member's ledger and advances the account in step (balance, totals,
 * counters), both in the caller's transaction. `account` is updated in place, so the next entry
 * of the same transaction continues from it. `created_at` never goes backwards within a member (a
 * clock stepping back is clamped to the last entry's time): the history's order by `seq` is then
 * also its order by date, which is what lets date ranges resolve to a `seq` range.
 */
export async function appendTransaction(
  db: Db,
  account: CreditAccountRow,
  entry: {
    type: CreditTransactionType;
    amount: number;
    description: string;
  },
  now: string,
): Promise<number> {
  const countColumn = `${entry.type}_count` as const;
  const last = account.last_transaction_at;
  const createdAt = last !== null && last > now ? last : now;
  account.balance += entry.amount;
  account.transaction_count += 1;
  account[countColumn] += 1;
  account[totalColumn[entry.type]] += Math.abs(entry.amount);
  account.last_transaction_at = createdAt;
  const row = await db.insertInto("credit_transactions").values({
    account_id: account.id,
    type: entry.type,
    amount: entry.amount,
    balance_after: account.balance,
    description: entry.description,
    seq: account.transaction_count,
    type_seq: account[countColumn],
    created_at: createdAt,
  }).returning("id").executeTakeFirstOrThrow();
  await saveCreditAccount(db, account);
  return row.id;
}

/** Records how much a debit took from each lot. */
export async function insertAllocations(
  db: Db,
  transactionId: number,
  allocations: { lot_id: string; amount: number }[],
): Promise<void> {
  if (allocations.length === 0) return;
  await db.insertInto("credit_debit_allocations")
    .values(allocations.map((a) => ({ transaction_id: transactionId, ...a })))
    .execute();
}

/** How much a debit took from each lot. */
export async function findAllocations(
  db: Db,
  transactionId: number,
): Promise<{ lot_id: string; amount: number }[]> {
  return await db.selectFrom("credit_debit_allocations").select(["lot_id", "amount"])
    .where("transaction_id", "=", transactionId).execute();
}

/**
 * The first and last position (`seq`, or `type_seq` with a type) of the member's rows dated
 * within `[from, to]` (inclusive ISO timestamps; `null` leaves that side open). Each side is one
 * index seek; `null` when no row falls in the range.
 */
export async function positionRange(
  db: Db,
  accountId: string,
  type: CreditTransactionType | null,
  from: string | null,
  to: string | null,
  count: number,
): Promise<{ first: number; last: number } | null> {
  const column = type === null ? "seq" : "type_seq";
  const base = () => {
    let query = db.selectFrom("credit_transactions").select(column).where(
      "account_id",
      "=",
      accountId,
    );
    if (type !== null) query = query.where("type", "=", type);
    return query;
  };
  let first = 1;
  if (from !== null) {
    const row = await base().where("created_at", ">=", from)
      .orderBy("created_at").orderBy("id").limit(1).executeTakeFirst();
    if (row === undefined) return null;
    first = row[column];
  }
  let last = count;
  if (to !== null) {
    const row = await base().where("created_at", "<=", to)
      .orderBy("created_at", "desc").orderBy("id", "desc").limit(1).executeTakeFirst();
    if (row === undefined) return null;
    last = row[column];
  }
  return first <= last ? { first, last } : null;
}

/**
 * The account's rows at positions `[first, last]` (`seq`, or `type_seq` with a type), newest
 * first, each with the job it charged or refunded. One range seek on a unique index.
 */
export async function transactionsAt(
  db: Db,
  accountId: string,
  type: CreditTransactionType | null,
  first: number,
  last: number,
): Promise<TransactionListRow[]> {
  const column = type === null ? "t.seq" : "t.type_seq";
  let query = db.selectFrom("credit_transactions as t")
    // A job points at its debit and its refund (ledger rows point at nothing the purge deletes).
    .leftJoin("jobs as d", "d.debit_transaction_id", "t.id")
    .leftJoin("jobs as r", "r.refund_transaction_id", "t.id")
    .select((eb) => [
      "t.id",
      "t.type",
      "t.description",
      "t.amount",
      "t.balance_after",
      "t.created_at",
      eb.fn.coalesce("d.id", "r.id").as("job_id"),
      eb.fn.coalesce("d.kind", "r.kind").as("job_kind"),
      eb.fn.coalesce("d.status", "r.status").as("job_status"),
    ])
    .where("t.account_id", "=", accountId);
  if (type !== null) query = query.where("t.type", "=", type);
  return await query.where(column, ">=", first).where(column, "<=", last)
    .orderBy(column, "desc").execute();
}
