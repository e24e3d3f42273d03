import type { Selectable } from "kysely";
import type { CreditAccountsTable, Db } from "./database.ts";

/** A member's ledger totals and counters. */
export type CreditAccountRow = Selectable<CreditAccountsTable>;

/** An account found through its member: its owner is known (only the purge clears it). */
export type MemberCreditAccount = CreditAccountRow & { user_id: string };

/**
 * Creates the member's credit account if it does not exist yet, and returns it; `undefined` when
 * there is no such user. Its first statement is a write, so a transaction that starts with it
 * holds SQLite's write lock before it reads anything: no other process can commit in between and
 * turn a later write into a busy-snapshot error.
 */
export async function openCreditAccount(
  db: Db,
  userId: string,
): Promise<MemberCreditAccount | undefined> {
  await db.insertInto("credit_accounts")
    .columns(["id", "user_id", "balance"])
    .expression((eb) =>
      eb.selectFrom("users")
        .select([eb.val(crypto.randomUUID()).as("account_id"), "id", eb.lit(0).as("balance")])
        .where("id", "=", userId)
    )
    .onConflict((oc) => oc.column("user_id").doNothing())
    .execute();
  return await findCreditAccount(db, userId);
}

/** The member's credit account, or `undefined` when the member never held credits. */
export async function findCreditAccount(
  db: Db,
  userId: string,
): Promise<MemberCreditAccount | undefined> {
  return await db.selectFrom("credit_accounts").selectAll().where("user_id", "=", userId)
    .executeTakeFirst() as MemberCreditAccount | undefined;
}

/** Writes the account's totals and counters back. */
export async function saveCreditAccount(db: Db, account: CreditAccountRow): Promise<void> {
  const { id, user_id: _owner, ...totals } = account;
  await db.updateTable("credit_accounts").set(totals).where("id", "=", id).execute();
}
