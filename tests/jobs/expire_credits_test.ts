import assert from "node:assert/strict";
import { Cron } from "croner";
import { runCli } from "../../src/cli.ts";
import { expireCreditsJob } from "../../src/jobs/expire_credits.ts";
import { jobs } from "../../src/jobs/jobs.ts";
import { grantCredits } from "../../src/services/credits.ts";
import { authOf, DAY_MS, insertMember, registerAdmin } from "../helpers/credits.ts";
import { assertLedgerInvariant } from "../helpers/ledger_invariant.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("expire-credits is scheduled hourly at five past", () => {
  assert.ok(jobs.includes(expireCreditsJob));
  const runs = new Cron(expireCreditsJob.schedule, { paused: true })
    .nextRuns(3, new Date("2026-11-23T10:30:00Z"));
  assert.deepEqual(runs.map((run) => run.getUTCMinutes()), [5, 5, 5]);
  assert.deepEqual(
    runs.map((run) => run.getTime() - runs[0].getTime()),
    [0, 3_600_000, 7_200_000],
  );
});

Deno.test("cli run-job expire-credits writes off lots past their date, beside a running server", async () => {
  const server = await startTestServer();
  try {
    const deps = server.deps;
    const operator = await authOf(deps, await registerAdmin(server));
    const member = await insertMember(deps);
    // The CLI runs on the wall clock: grant, a week ago, a lot that expired yesterday.
    const wallClock = Date.now();
    server.clock.set(new Date(wallClock - 7 * DAY_MS));
    const meta = { ip: null, userAgent: null };
    await grantCredits(deps, operator, member, {
      amount: 25,
      source: "promo",
      expires_at: new Date(wallClock - DAY_MS).toISOString(),
    }, meta);
    await grantCredits(deps, operator, member, { amount: 5, source: "bonus" }, meta);
    server.clock.set(new Date(wallClock));
    assert.equal(await assertLedgerInvariant(deps, member), 5);

    assert.equal(await runCli(["run-job", "expire-credits"], server.cliEnv), 0);
    const expiry = await deps.db.selectFrom("credit_transactions").selectAll()
      .where("type", "=", "expire").execute();
    const account = await deps.db.selectFrom("credit_accounts").select("id")
      .where("user_id", "=", member).executeTakeFirstOrThrow();
    assert.deepEqual(expiry.map((e) => [e.account_id, e.amount, e.balance_after]), [
      [account.id, -25, 5],
    ]);
    assert.equal(await assertLedgerInvariant(deps, member), 5);

    // A second run finds nothing to do.
    assert.equal(await runCli(["run-job", "expire-credits"], server.cliEnv), 0);
    const count = await deps.db.selectFrom("credit_transactions").select("id")
      .where("type", "=", "expire").execute();
    assert.equal(count.length, 1);
  } finally {
    await server.close();
  }
});
