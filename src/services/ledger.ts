/**
 * The moves every credit use case is built from, each inside the caller's transaction. Together
 * they keep, at every commit, for every member:
 *
 *     ledger sum = account balance = sum of `remaining` over the member's lots
 *
 * and the balance a member is shown (`remaining` over lots not past their date) equals that sum
 * minus what lots past their date still hold until the expiry writes it off. Every use case
 * writes off its member's due lots first, so its own entries follow them in the ledger.
 * @module
 */

import { type MemberCreditAccount, openCreditAccount } from "../data/credit_accounts.ts";
import {
  dueLots,
  restoreToLot,
  spendableLots,
  takeFromLot,
  writeOffLot,
} from "../data/credit_lots.ts";
import {
  appendTransaction,
  findAllocations,
  insertAllocations,
} from "../data/credit_transactions.ts";
import type { Db } from "../data/database.ts";
import { DomainError } from "./errors.ts";

/**
 * Opens the member's credit account (creating it on first use) as the first statement of the
 * transaction, which takes the write lock before anything is read.
 * @throws {DomainError} `USER_NOT_FOUND`
 */
export async function lockAccount(trx: Db, userId: string): Promise<MemberCreditAccount> {
  const account = await openCreditAccount(trx, userId);
  if (account === undefined) throw new DomainError("USER_NOT_FOUND");
  return account;
}

/**
 * Writes off what the member's lots past their date still hold: one `expire` entry per lot, the
 * lot's `remaining` moved to its `expired`. Returns how many lots and credits it wrote off.
 */
export async function expireDueLots(
  trx: Db,
  account: MemberCreditAccount,
  now: Date,
): Promise<{ lots: number; credits: number }> {
  const lots = await dueLots(trx, account.user_id, now.toISOString());
  let credits = 0;
  for (const lot of lots) {
    await writeOffLot(trx, lot.id);
    await appendTransaction(trx, account, {
      type: "expire",
      amount: -lot.remaining,
      description: `Credits expired (${lot.source})`,
    }, now.toISOString());
    credits += lot.remaining;
  }
  return { lots: lots.length, credits };
}

/**
 * Takes `amount` credits from the member's spendable lots, soonest expiry first (lots that never
 * expire last), writes one `debit` entry and records what came from each lot. Returns the entry's
 * id. Throwing leaves the caller's transaction to roll back, so a refused debit changes nothing.
 * @throws {DomainError} `INSUFFICIENT_CREDITS` when the spendable lots hold less than `amount`
 */
export async function debitLots(
  trx: Db,
  account: MemberCreditAccount,
  amount: number,
  description: string,
  now: Date,
): Promise<number> {
  const nowIso = now.toISOString();
  const lots = await spendableLots(trx, account.user_id, nowIso);
  const allocations: { lot_id: string; amount: number }[] = [];
  let left = amount;
  for (const lot of lots) {
    if (left === 0) break;
    const take = Math.min(left, lot.remaining);
    allocations.push({ lot_id: lot.id, amount: take });
    left -= take;
  }
  if (left > 0) throw new DomainError("INSUFFICIENT_CREDITS");
  for (const allocation of allocations) {
    if (!await takeFromLot(trx, allocation.lot_id, allocation.amount)) {
      throw new Error(`lot ${allocation.lot_id} changed inside a serialized transaction`);
    }
  }
  const id = await appendTransaction(trx, account, {
    type: "debit",
    amount: -amount,
    description,
  }, nowIso);
  await insertAllocations(trx, id, allocations);
  return id;
}

/**
 * Gives a debit back to exactly the lots it came from and writes one `refund` entry for all of
 * it. A lot that passed its date meanwhile gets its share back too, and has it written off again
 * at once by an `expire` entry: the ledger shows both moves, and no expired credit becomes
 * spendable. Returns the refund entry's id. Callers make sure a debit is refunded only once.
 */
export async function refundDebit(
  trx: Db,
  account: MemberCreditAccount,
  debitTransactionId: number,
  description: string,
  now: Date,
): Promise<number> {
  const allocations = await findAllocations(trx, debitTransactionId);
  let amount = 0;
  for (const allocation of allocations) {
    await restoreToLot(trx, allocation.lot_id, allocation.amount);
    amount += allocation.amount;
  }
  const id = await appendTransaction(trx, account, {
    type: "refund",
    amount,
    description,
  }, now.toISOString());
  await expireDueLots(trx, account, now);
  return id;
}
