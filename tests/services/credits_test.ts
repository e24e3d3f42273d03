import assert from "node:assert/strict";
import type { Deps } from "../../src/deps.ts";
import { expireCredits, getCredits, grantCredits } from "../../src/services/credits.ts";
import { DomainError } from "../../src/services/errors.ts";
import { createJob, updateJobStatus } from "../../src/services/jobs.ts";
import type { Authenticated } from "../../src/services/sessions.ts";
import { authOf, DAY_MS, insertMember, registerAdmin } from "../helpers/credits.ts";
import { assertLedgerInvariant, ledgerOf } from "../helpers/ledger_invariant.ts";
import { startTestServer, type TestServer } from "../helpers/test_server.ts";

const meta = { ip: "127.0.0.1", userAgent: "test" };

/** A server, an operator and a fresh member per test. */
async function setup(): Promise<
  { server: TestServer; deps: Deps; operator: Authenticated; member: string }
> {
  const server = await startTestServer();
  const operator = await authOf(server.deps, await registerAdmin(server));
  return { server, deps: server.deps, operator, member: await insertMember(server.deps) };
}

function inDays(deps: Deps, days: number): string {
  return new Date(deps.clock.now().getTime() + days * DAY_MS).toISOString();
}

async function remainingByLot(deps: Deps, member: string): Promise<Record<string, number>> {
  const { lots } = await getCredits(deps, { userId: member } as Authenticated);
  return Object.fromEntries(lots.map((lot) => [lot.id, lot.remaining]));
}

async function tableCounts(deps: Deps): Promise<number[]> {
  const tables = [
    "credit_transactions",
    "credit_lots",
    "credit_debit_allocations",
    "jobs",
    "audit_events",
  ] as const;
  return await Promise.all(tables.map(async (table) =>
    Number(
      (await deps.db.selectFrom(table).select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()).n,
    )
  ));
}

async function rejectsWith(promise: Promise<unknown>, code: string, detail?: string) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.code, code);
    if (detail !== undefined) assert.equal(error.message, detail);
    return true;
  });
}

Deno.test("createJob() debits the lots that expire soonest, never-expiring last, oldest first on ties", async () => {
  const { server, deps, operator, member } = await setup();
  try {
    const grant = (amount: number, expires_at: string | null) =>
      grantCredits(deps, operator, member, { amount, source: "promo", expires_at }, meta);
    const forever = await grant(100, null);
    const later = await grant(50, inDays(deps, 60));
    const soon = await grant(30, inDays(deps, 10));
    const soonToo = await grant(20, inDays(deps, 10)); // same date, granted after `soon`

    await createJob(deps, operator, member, { kind: "render", credits_cost: 90 }, meta);
    assert.deepEqual(await remainingByLot(deps, member), {
      [forever.id]: 100,
      [later.id]: 10,
      [soon.id]: 0,
      [soonToo.id]: 0,
    });
    await createJob(deps, operator, member, { kind: "render", credits_cost: 20 }, meta);
    assert.deepEqual(await remainingByLot(deps, member), {
      [forever.id]: 90,
      [later.id]: 0,
      [soon.id]: 0,
      [soonToo.id]: 0,
    });
    const names = new Map([
      [forever.id, "forever"],
      [later.id, "later"],
      [soon.id, "soon"],
      [soonToo.id, "soonToo"],
    ]);
    const allocations = await deps.db.selectFrom("credit_debit_allocations")
      .select(["transaction_id", "lot_id", "amount"]).execute();
    const byDebit = Map.groupBy(allocations, (a) => a.transaction_id);
    assert.deepEqual(
      [...byDebit.keys()].sort((a, b) => a - b).map((id) =>
        byDebit.get(id)!.map((a) => `${names.get(a.lot_id)} ${a.amount}`).sort()
      ),
      [["later 40", "soon 30", "soonToo 20"], ["forever 10", "later 10"]],
    );
    assert.equal(await assertLedgerInvariant(deps, member), 90);
  } finally {
    await server.close();
  }
});

Deno.test("createJob() refuses a cost above the balance and changes nothing", async () => {
  const { server, deps, operator, member } = await setup();
  try {
    await grantCredits(deps, operator, member, { amount: 10, source: "promo" }, meta);
    await grantCredits(deps, operator, member, {
      amount: 5,
      source: "promo",
      expires_at: inDays(deps, 1),
    }, meta);
    server.clock.advance(DAY_MS); // the 5 are past their date, not yet written off
    const before = await tableCounts(deps);
    await rejectsWith(
      createJob(deps, operator, member, { kind: "render", credits_cost: 11 }, meta),
      "INSUFFICIENT_CREDITS",
      "Insufficient credits",
    );
    assert.deepEqual(await tableCounts(deps), before, "not even the expiry was written");
    await rejectsWith(
      createJob(deps, operator, crypto.randomUUID(), { kind: "x", credits_cost: 1 }, meta),
      "USER_NOT_FOUND",
    );
    assert.equal(await assertLedgerInvariant(deps, member), 10);
    // Exactly the balance is fine.
    await createJob(deps, operator, member, { kind: "render", credits_cost: 10 }, meta);
    assert.equal(await assertLedgerInvariant(deps, member), 0);
  } finally {
    await server.close();
  }
});

Deno.test("updateJobStatus() failing a job refunds exactly the lots it came from, once", async () => {
  const { server, deps, operator, member } = await setup();
  try {
    const a = await grantCredits(deps, operator, member, {
      amount: 30,
      source: "promo",
      expires_at: inDays(deps, 5),
    }, meta);
    const b = await grantCredits(deps, operator, member, { amount: 70, source: "purchase" }, meta);
    const job = await createJob(deps, operator, member, { kind: "render", credits_cost: 50 }, meta);
    await createJob(deps, operator, member, { kind: "other", credits_cost: 5 }, meta);
    assert.deepEqual(await remainingByLot(deps, member), { [a.id]: 0, [b.id]: 45 });

    const running = await updateJobStatus(deps, operator, job.id, { status: "running" }, meta);
    assert.equal(running.started_at, deps.clock.now().toISOString());
    server.clock.advance(60_000);
    const failed = await updateJobStatus(deps, operator, job.id, {
      status: "failed",
      error: "out of memory",
    }, meta);
    assert.deepEqual([failed.status, failed.error], ["failed", "out of memory"]);
    assert.equal(failed.finished_at, deps.clock.now().toISOString());
    assert.equal(failed.refunded_at, deps.clock.now().toISOString());
    // 30 back to a, 20 back to b: exactly what the debit took.
    assert.deepEqual(await remainingByLot(deps, member), { [a.id]: 30, [b.id]: 65 });

    await rejectsWith(
      updateJobStatus(deps, operator, job.id, { status: "failed" }, meta),
      "INVALID_JOB_TRANSITION",
      "Job is already failed",
    );
    const refunds = await deps.db.selectFrom("credit_transactions").selectAll()
      .where("type", "=", "refund").execute();
    const { refund_transaction_id } = await deps.db.selectFrom("jobs")
      .select("refund_transaction_id").where("id", "=", job.id).executeTakeFirstOrThrow();
    assert.deepEqual(refunds.map((r) => [r.amount, r.id]), [[50, refund_transaction_id]]);
    assert.equal(await assertLedgerInvariant(deps, member), 95);
  } finally {
    await server.close();
  }
});

Deno.test("updateJobStatus() allows only queued → running → succeeded | failed and queued → failed", async () => {
  const { server, deps, operator, member } = await setup();
  try {
    await grantCredits(deps, operator, member, { amount: 1000, source: "promo" }, meta);
    const targets = ["running", "succeeded", "failed"] as const;
    const paths: Record<string, (typeof targets)[number][]> = {
      queued: [],
      running: ["running"],
      succeeded: ["running", "succeeded"],
      failed: ["failed"],
    };
    const allowed = new Set([
      "queued>running",
      "queued>failed",
      "running>succeeded",
      "running>failed",
    ]);
    for (const [from, path] of Object.entries(paths)) {
      for (const to of targets) {
        const job = await createJob(deps, operator, member, { kind: "k", credits_cost: 1 }, meta);
        for (const step of path) {
          await updateJobStatus(deps, operator, job.id, { status: step }, meta);
        }
        const attempt = updateJobStatus(deps, operator, job.id, { status: to }, meta);
        if (allowed.has(`${from}>${to}`)) {
          assert.equal((await attempt).status, to);
        } else {
          await rejectsWith(
            attempt,
            "INVALID_JOB_TRANSITION",
            from === to ? `Job is already ${from}` : `Cannot move a job from ${from} to ${to}`,
          );
        }
      }
    }
    await rejectsWith(
      updateJobStatus(deps, operator, "no-such-job", { status: "running" }, meta),
      "JOB_NOT_FOUND",
      "Job not found",
    );
    const job = await createJob(deps, operator, member, { kind: "k", credits_cost: 1 }, meta);
    await rejectsWith(
      updateJobStatus(deps, operator, job.id, { status: "running", error: "x" }, meta),
      "VALIDATION_ERROR",
      "error is only allowed with status failed",
    );
    await assertLedgerInvariant(deps, member);
  } finally {
    await server.close();
  }
});

Deno.test("a refund into a lot past its date is written off again at once", async () => {
  const { server, deps, operator, member } = await setup();
  try {
    const soon = await grantCredits(deps, operator, member, {
      amount: 30,
      source: "promo",
      expires_at: inDays(deps, 10),
    }, meta);
    const forever = await grantCredits(
      deps,
      operator,
      member,
      { amount: 100, source: "purchase" },
      meta,
    );
    const job = await createJob(deps, operator, member, { kind: "render", credits_cost: 40 }, meta);
    server.clock.advance(11 * DAY_MS);
    await updateJobStatus(deps, operator, job.id, { status: "failed" }, meta);

    const ledger = await ledgerOf(deps.db, member).select(["type", "amount"]).orderBy("seq")
      .execute();
    assert.deepEqual(ledger.map((r) => [r.type, r.amount]), [
      ["grant", 30],
      ["grant", 100],
      ["debit", -40],
      ["refund", 40],
      ["expire", -30],
    ]);
    const { lots, balance } = await getCredits(deps, { userId: member } as Authenticated);
    assert.equal(balance, 100);
    assert.deepEqual(
      lots.map((l) => [l.id, l.status, l.remaining, l.expired]),
      [[forever.id, "active", 100, 0], [soon.id, "expired", 0, 30]],
    );
    assert.equal(await assertLedgerInvariant(deps, member), 100);
  } finally {
    await server.close();
  }
});

Deno.test("expiry: the balance drops at the date, before the job runs; expireCredits() writes it off once", async () => {
  const { server, deps, operator, member } = await setup();
  try {
    const other = await insertMember(deps);
    const lot = await grantCredits(deps, operator, member, {
      amount: 50,
      source: "promo",
      expires_at: inDays(deps, 1),
    }, meta);
    await grantCredits(deps, operator, member, { amount: 20, source: "purchase" }, meta);
    await grantCredits(deps, operator, other, {
      amount: 5,
      source: "promo",
      expires_at: inDays(deps, 2),
    }, meta);
    await createJob(deps, operator, member, { kind: "render", credits_cost: 10 }, meta);

    server.clock.advance(DAY_MS - 1);
    assert.equal(await assertLedgerInvariant(deps, member), 60);
    server.clock.advance(1); // exactly at expires_at: expired
    assert.equal(await assertLedgerInvariant(deps, member), 20);
    const view = (await getCredits(deps, { userId: member } as Authenticated)).lots
      .find((l) => l.id === lot.id)!;
    assert.deepEqual([view.status, view.remaining, view.expired], ["expired", 0, 40]);

    assert.deepEqual(await expireCredits(deps), {
      members: 1,
      lots_expired: 1,
      credits_expired: 40,
    });
    assert.deepEqual(await expireCredits(deps), {
      members: 0,
      lots_expired: 0,
      credits_expired: 0,
    });
    const expiry = await deps.db.selectFrom("credit_transactions").selectAll()
      .where("type", "=", "expire").executeTakeFirstOrThrow();
    const account = await deps.db.selectFrom("credit_accounts").select("id")
      .where("user_id", "=", member).executeTakeFirstOrThrow();
    assert.deepEqual(
      [expiry.account_id, expiry.amount, expiry.balance_after, expiry.description],
      [account.id, -40, 20, `Credits expired (${lot.source})`],
    );
    assert.equal(await assertLedgerInvariant(deps, member), 20);

    server.clock.advance(DAY_MS);
    assert.equal(await assertLedgerInvariant(deps, other), 0);
    // The next change for the member writes the due expiry first, in the same transaction.
    await grantCredits(deps, operator, other, { amount: 1, source: "bonus" }, meta);
    const types = await ledgerOf(deps.db, other).select("type").orderBy("seq").execute();
    assert.deepEqual(types.map((t) => t.type), ["grant", "expire", "grant"]);
    assert.equal(await assertLedgerInvariant(deps, other), 1);
  } finally {
    await server.close();
  }
});

Deno.test("grantCredits() refuses an unknown member and an expiry not in the future", async () => {
  const { server, deps, operator, member } = await setup();
  try {
    await rejectsWith(
      grantCredits(deps, operator, crypto.randomUUID(), { amount: 1, source: "promo" }, meta),
      "USER_NOT_FOUND",
      "User not found",
    );
    for (const expires_at of [deps.clock.now().toISOString(), "2020-01-01", "2026-11-23"]) {
      await rejectsWith(
        grantCredits(deps, operator, member, { amount: 1, source: "promo", expires_at }, meta),
        "VALIDATION_ERROR",
        "expires_at must be in the future",
      );
    }
    const lot = await grantCredits(deps, operator, member, {
      amount: 3,
      source: "promo",
      expires_at: "2026-12-01T12:00:00+02:00",
    }, meta);
    assert.equal(lot.expires_at, "2026-12-01T10:00:00.000Z");
    assert.deepEqual(await tableCounts(deps).then((c) => c.slice(0, 2)), [1, 1]);
  } finally {
    await server.close();
  }
});

Deno.test("a clock stepping back never reorders a member's ledger", async () => {
  const { server, deps, operator, member } = await setup();
  try {
    await grantCredits(deps, operator, member, { amount: 5, source: "promo" }, meta);
    const first = deps.clock.now().toISOString();
    server.clock.advance(-3_600_000);
    await grantCredits(deps, operator, member, { amount: 7, source: "promo" }, meta);
    const rows = await ledgerOf(deps.db, member).select(["seq", "created_at"]).orderBy("seq")
      .execute();
    assert.deepEqual(rows.map((row) => ({ ...row })), [{ seq: 1, created_at: first }, {
      seq: 2,
      created_at: first,
    }]);
    await assertLedgerInvariant(deps, member);
  } finally {
    await server.close();
  }
});

Deno.test("deleting a member keeps their ledger untouched and unlinked, and removes lots and jobs", async () => {
  const { server, deps, operator, member } = await setup();
  try {
    await grantCredits(deps, operator, member, { amount: 10, source: "promo" }, meta);
    const job = await createJob(deps, operator, member, { kind: "render", credits_cost: 4 }, meta);
    await updateJobStatus(deps, operator, job.id, { status: "failed" }, meta);
    const before = await deps.db.selectFrom("credit_transactions").selectAll().orderBy("id")
      .execute();
    await deps.db.deleteFrom("users").where("id", "=", member).execute();
    const after = await deps.db.selectFrom("credit_transactions").selectAll().orderBy("id")
      .execute();
    assert.deepEqual(after.map((row) => ({ ...row })), before.map((row) => ({ ...row })));
    assert.deepEqual(after.map((row) => [row.type, row.amount]), [["grant", 10], ["debit", -4], [
      "refund",
      4,
    ]]);
    assert.deepEqual(await tableCounts(deps).then((c) => c.slice(0, 4)), [3, 0, 0, 0]);
    const accounts = await deps.db.selectFrom("credit_accounts").select([
      "id",
      "user_id",
      "balance",
    ])
      .execute();
    assert.deepEqual(accounts.map((a) => ({ ...a })), [{
      id: after[0].account_id,
      user_id: null,
      balance: 10,
    }]);
  } finally {
    await server.close();
  }
});
