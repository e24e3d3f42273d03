import assert from "node:assert/strict";
import type { Db } from "../../src/data/database.ts";
import type { Deps } from "../../src/deps.ts";
import { getCredits } from "../../src/services/credits.ts";
import type { Authenticated } from "../../src/services/sessions.ts";

/** The member's ledger rows: those of the account the member owns. */
export function ledgerOf(db: Db, userId: string) {
  return db.selectFrom("credit_transactions").where(
    "account_id",
    "=",
    db.selectFrom("credit_accounts").select("id").where("user_id", "=", userId),
  );
}

/**
 * Checks, straight from the tables, everything that must hold for a member's credits at any
 * commit, and returns the balance the member is shown:
 *
 * - ledger sum = last `balance_after` = account balance = sum of `remaining` over all lots
 *   (lots past their date hold their credits until the expiry writes them off);
 * - shown balance = that sum minus what lots past their date still hold;
 * - every lot: 0 ≤ remaining, and granted = remaining + expired + what unrefunded debits took;
 * - positions: `seq` is 1..n and `type_seq` 1..n per type, dates never go back, and the
 *   account's counters and totals match the ledger.
 */
export async function assertLedgerInvariant(deps: Deps, userId: string): Promise<number> {
  const db = deps.db;
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  const rows = await ledgerOf(db, userId).selectAll().orderBy("seq").execute();
  const lots = await db.selectFrom("credit_lots").selectAll().where("user_id", "=", userId)
    .execute();
  const account = await db.selectFrom("credit_accounts").selectAll()
    .where("user_id", "=", userId).executeTakeFirst();
  const ledgerSum = rows.reduce((sum, row) => sum + row.amount, 0);
  const lotSum = lots.reduce((sum, lot) => sum + lot.remaining, 0);
  const pending = lots.filter((lot) => lot.expires_at !== null && lot.expires_at <= nowIso)
    .reduce((sum, lot) => sum + lot.remaining, 0);

  assert.equal(lotSum, ledgerSum, "sum of lots = sum of ledger");
  assert.equal(account?.balance ?? 0, ledgerSum, "account balance = sum of ledger");
  if (rows.length > 0) assert.equal(rows.at(-1)!.balance_after, ledgerSum, "last balance_after");

  const perType: Record<string, number> = { grant: 0, debit: 0, refund: 0, expire: 0 };
  let running = 0;
  rows.forEach((row, i) => {
    running += row.amount;
    assert.equal(row.balance_after, running, `balance_after of entry ${row.id}`);
    assert.ok(running >= 0, "the ledger never goes negative");
    assert.equal(row.seq, i + 1, "seq is 1..n");
    perType[row.type] += 1;
    assert.equal(row.type_seq, perType[row.type], "type_seq is 1..n per type");
    if (i > 0) assert.ok(row.created_at >= rows[i - 1].created_at, "dates never go back");
    const sign = row.type === "grant" || row.type === "refund" ? 1 : -1;
    assert.ok(Math.sign(row.amount) === sign, `${row.type} amount has the right sign`);
  });
  if (account !== undefined) {
    const total = (type: string) =>
      Math.abs(rows.filter((r) => r.type === type).reduce((sum, r) => sum + r.amount, 0));
    assert.deepEqual(
      [account.transaction_count, account.grant_count, account.debit_count, account.refund_count],
      [rows.length, perType.grant, perType.debit, perType.refund],
    );
    assert.equal(account.expire_count, perType.expire);
    assert.deepEqual(
      [account.granted, account.spent, account.refunded, account.expired],
      [total("grant"), total("debit"), total("refund"), total("expire")],
    );
  }

  const refunded = new Set(
    (await db.selectFrom("jobs").select("debit_transaction_id").where("user_id", "=", userId)
      .where("refunded_at", "is not", null).execute()).map((job) => job.debit_transaction_id),
  );
  const allocations = await db.selectFrom("credit_debit_allocations")
    .innerJoin("credit_lots", "credit_lots.id", "credit_debit_allocations.lot_id")
    .select(["transaction_id", "lot_id", "amount"])
    .where("credit_lots.user_id", "=", userId).execute();
  for (const lot of lots) {
    assert.ok(lot.remaining >= 0 && lot.expired >= 0, "lot amounts are not negative");
    const taken = allocations.filter((a) => a.lot_id === lot.id && !refunded.has(a.transaction_id))
      .reduce((sum, a) => sum + a.amount, 0);
    assert.equal(lot.granted, lot.remaining + lot.expired + taken, `lot ${lot.id} accounts`);
  }

  const auth = { userId } as Authenticated;
  const shown = (await getCredits(deps, auth)).balance;
  assert.equal(shown, ledgerSum - pending, "shown balance excludes lots past their date");
  return shown;
}
