import { readTransaction, writeTransaction } from "../data/transactions.ts";
import { findCreditAccount } from "../data/credit_accounts.ts";
import { type CreditLotRow, insertLot, listLots, membersWithDueLots } from "../data/credit_lots.ts";
import { appendTransaction, positionRange, transactionsAt } from "../data/credit_transactions.ts";
import type { CreditTransactionType } from "../data/database.ts";
import type { Deps } from "../deps.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { commitChange } from "./change.ts";
import { DomainError } from "./errors.ts";
import { expireDueLots, lockAccount } from "./ledger.ts";
import { type Page, pageOf } from "./pagination.ts";
import type { Authenticated } from "./sessions.ts";

/** How far ahead "expiring soon" looks. */
export const EXPIRING_SOON_DAYS = 30;

/** A credit lot as the API shows it. */
export interface LotView {
  id: string;
  source: string;
  description: string | null;
  granted: number;
  remaining: number;
  expired: number;
  expires_at: string | null;
  status: "active" | "expired" | "exhausted";
  created_at: string;
}

/** The member's credits: spendable balance, every lot, and what expires soon. */
export interface CreditsView {
  balance: number;
  lots: LotView[];
  expiring_soon: {
    days: number;
    amount: number;
    lots: { id: string; amount: number; expires_at: string }[];
  };
}

/** One ledger entry as the member's history shows it. */
export interface TransactionView {
  id: number;
  type: CreditTransactionType;
  description: string;
  amount: number;
  balance_after: number;
  date: string;
  job: { id: string; kind: string; status: "queued" | "running" | "succeeded" | "failed" } | null;
}

/**
 * A lot as seen at `now`. A lot past its date shows `remaining: 0` and what it still held as
 * `expired` whether or not the expiry job has written it off yet, so what a member sees never
 * depends on when the job last ran.
 */
export function toLotView(lot: CreditLotRow, now: Date): LotView {
  const past = lot.expires_at !== null && lot.expires_at <= now.toISOString();
  const expired = lot.expired + (past ? lot.remaining : 0);
  const remaining = past ? 0 : lot.remaining;
  return {
    id: lot.id,
    source: lot.source,
    description: lot.description,
    granted: lot.granted,
    remaining,
    expired,
    expires_at: lot.expires_at,
    status: past && expired > 0 ? "expired" : remaining === 0 ? "exhausted" : "active",
    created_at: lot.created_at,
  };
}

/** `2026-11-23` or an ISO date-time (any offset) as a UTC ISO timestamp; a date is midnight. */
function instant(value: string, endOfDay = false): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return `${value}T${endOfDay ? "23:59:59.999" : "00:00:00.000"}Z`;
  }
  return new Date(value).toISOString();
}

/**
 * Grants a new lot of credits to a member (an operator's action): one `grant` entry, audited
 * with the operator's id, all in one transaction. Due lots of the member are written off first.
 * @throws {DomainError} `USER_NOT_FOUND`; `VALIDATION_ERROR` when `expires_at` is not in the future
 */
export async function grantCredits(
  deps: Deps,
  operator: Authenticated,
  userId: string,
  input: { amount: number; source: string; expires_at?: string | null; description?: string },
  meta: RequestMeta,
): Promise<LotView> {
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  const expiresAt = input.expires_at == null ? null : instant(input.expires_at);
  if (expiresAt !== null && expiresAt <= nowIso) {
    throw new DomainError("VALIDATION_ERROR", "expires_at must be in the future");
  }
  return await commitChange(deps, async (trx, events) => {
    const account = await lockAccount(trx, userId);
    await expireDueLots(trx, account, now);
    const lot = await insertLot(trx, {
      id: crypto.randomUUID(),
      user_id: userId,
      source: input.source,
      description: input.description || null,
      granted: input.amount,
      remaining: input.amount,
      expires_at: expiresAt,
      created_at: nowIso,
    });
    await appendTransaction(trx, account, {
      type: "grant",
      amount: lot.granted,
      description: lot.description ?? `Credits granted (${lot.source})`,
    }, nowIso);
    await audit(trx, "credits.granted", userId, meta, now, {
      operator_id: operator.userId,
      lot_id: lot.id,
      amount: lot.granted,
      source: lot.source,
      expires_at: lot.expires_at,
    });
    await events.webhook("credits.granted", {
      user_id: userId,
      lot_id: lot.id,
      amount: lot.granted,
      source: lot.source,
      expires_at: lot.expires_at,
    });
    return toLotView(lot, now);
  });
}

/**
 * The member's credits at this moment: the spendable balance (lots past their date never count,
 * even before the expiry job has run), every lot, and what expires within 30 days.
 */
export async function getCredits(deps: Deps, auth: Authenticated): Promise<CreditsView> {
  const now = deps.clock.now();
  const horizon = new Date(now.getTime() + EXPIRING_SOON_DAYS * 86_400_000).toISOString();
  const lots = (await listLots(deps.db, auth.userId)).map((lot) => toLotView(lot, now));
  const soon = lots
    .filter((lot) => lot.remaining > 0 && lot.expires_at !== null && lot.expires_at <= horizon)
    .sort((a, b) => a.expires_at!.localeCompare(b.expires_at!))
    .map((lot) => ({ id: lot.id, amount: lot.remaining, expires_at: lot.expires_at! }));
  return {
    balance: lots.reduce((sum, lot) => sum + lot.remaining, 0),
    lots,
    expiring_soon: {
      days: EXPIRING_SOON_DAYS,
      amount: soon.reduce((sum, lot) => sum + lot.amount, 0),
      lots: soon,
    },
  };
}

/**
 * A page of the member's ledger, newest first (ties broken by id, newest first), filtered by
 * type and by a date range whose bounds are inclusive (a date means the whole UTC day). A page
 * past the end is empty, with the true total. Cost does not grow with the history: the page, its
 * total and a date range are index seeks on the per-member positions (`seq`, `type_seq`) and
 * the maintained counters, never OFFSET scans or COUNT(*).
 * @throws {DomainError} `INVALID_DATE_RANGE` when `start_date` is after `end_date`
 */
export async function listTransactions(
  deps: Deps,
  userId: string,
  query: {
    page: number;
    limit: number;
    type: CreditTransactionType | "all";
    start_date?: string;
    end_date?: string;
  },
): Promise<{ transactions: TransactionView[]; pagination: Page }> {
  const from = query.start_date === undefined ? null : instant(query.start_date);
  const to = query.end_date === undefined ? null : instant(query.end_date, true);
  if (from !== null && to !== null && from > to) throw new DomainError("INVALID_DATE_RANGE");
  const type = query.type === "all" ? null : query.type;
  // One read transaction: the positions and the rows come from the same snapshot.
  return await readTransaction(deps.db, async (trx) => {
    const account = await findCreditAccount(trx, userId);
    if (account === undefined) {
      return { transactions: [], pagination: pageOf(query.page, query.limit, 0) };
    }
    const count = type === null ? account.transaction_count : account[`${type}_count`];
    const range = count === 0
      ? null
      : from === null && to === null
      ? { first: 1, last: count }
      : await positionRange(trx, account.id, type, from, to, count);
    const total = range === null ? 0 : range.last - range.first + 1;
    const pagination = pageOf(query.page, query.limit, total);
    if (range === null || (query.page - 1) * query.limit >= total) {
      return { transactions: [], pagination };
    }
    const last = range.last - (query.page - 1) * query.limit;
    const first = Math.max(range.first, last - query.limit + 1);
    const rows = await transactionsAt(trx, account.id, type, first, last);
    return {
      transactions: rows.map((row) => ({
        id: row.id,
        type: row.type,
        description: row.description,
        amount: row.amount,
        balance_after: row.balance_after,
        date: row.created_at,
        job: row.job_id === null ? null : {
          id: row.job_id,
          kind: row.job_kind!,
          status: row.job_status!,
        },
      })),
      pagination,
    };
  });
}

/**
 * Writes off every lot past its date that still holds credits, one member per transaction (each
 * lot gets an `expire` entry). Safe to run at any time and from another process: a member's
 * lots are re-read under the write lock, so nothing is written off twice.
 */
export async function expireCredits(
  deps: Pick<Deps, "db" | "clock">,
): Promise<{ members: number; lots_expired: number; credits_expired: number }> {
  const now = deps.clock.now();
  const done = new Set<string>();
  const totals = { members: 0, lots_expired: 0, credits_expired: 0 };
  while (true) {
    const members = (await membersWithDueLots(deps.db, now.toISOString(), 500))
      .filter((id) => !done.has(id));
    if (members.length === 0) return totals;
    for (const userId of members) {
      done.add(userId);
      const { lots, credits } = await writeTransaction(
        deps.db,
        async (trx) => await expireDueLots(trx, await lockAccount(trx, userId), now),
      );
      if (lots > 0) totals.members += 1;
      totals.lots_expired += lots;
      totals.credits_expired += credits;
    }
  }
}
