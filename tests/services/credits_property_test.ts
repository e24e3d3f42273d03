import assert from "node:assert/strict";
import fc from "fast-check";
import type { JobStatus } from "../../src/data/database.ts";
import { expireCredits, getCredits, grantCredits } from "../../src/services/credits.ts";
import { DomainError } from "../../src/services/errors.ts";
import { createJob, updateJobStatus } from "../../src/services/jobs.ts";
import type { Authenticated } from "../../src/services/sessions.ts";
import { authOf, insertMember, registerAdmin } from "../helpers/credits.ts";
import { assertLedgerInvariant } from "../helpers/ledger_invariant.ts";
import { startTestServer } from "../helpers/test_server.ts";

const HOUR_MS = 3_600_000;
const meta = { ip: null, userAgent: null };

type Action =
  | { kind: "grant"; amount: number; expiresInHours: number | null }
  | { kind: "charge"; cost: number }
  | { kind: "move"; pick: number; to: "running" | "succeeded" | "failed" }
  | { kind: "advance"; hours: number }
  | { kind: "expire" };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("grant" as const),
    amount: fc.integer({ min: 1, max: 100 }),
    // A few fixed horizons, so lots often share a date and the tie-break is exercised.
    expiresInHours: fc.option(fc.constantFrom(1, 24, 24, 72, 240), { nil: null }),
  }),
  fc.record({ kind: fc.constant("charge" as const), cost: fc.integer({ min: 1, max: 120 }) }),
  fc.record({
    kind: fc.constant("move" as const),
    pick: fc.nat(),
    to: fc.constantFrom("running" as const, "succeeded" as const, "failed" as const),
  }),
  fc.record({ kind: fc.constant("advance" as const), hours: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant("expire" as const) }),
);

/** The member's credits as the model expects them. */
interface ModelLot {
  id: string;
  remaining: number;
  expiresAt: number | null;
  order: number;
}
interface ModelJob {
  id: string;
  status: JobStatus;
  allocations: { lot: ModelLot; amount: number }[];
}

const legal: Record<JobStatus, JobStatus[]> = {
  queued: ["running", "failed"],
  running: ["succeeded", "failed"],
  succeeded: [],
  failed: [],
};

Deno.test("credits keep their invariant through random grants, charges, failures, successes and expiries", async () => {
  const server = await startTestServer();
  const deps = server.deps;
  try {
    const operator = await authOf(deps, await registerAdmin(server));
    const expectError = async (promise: Promise<unknown>, code: string) => {
      await assert.rejects(promise, (e) => e instanceof DomainError && e.code === code);
    };

    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 40 }), async (actions) => {
        const member = await insertMember(deps);
        const auth = { userId: member } as Authenticated;
        const lots: ModelLot[] = [];
        const jobs: ModelJob[] = [];
        const live = (now: number) =>
          lots.filter((lot) =>
            lot.remaining > 0 && (lot.expiresAt === null || lot.expiresAt > now)
          );
        const balance = (now: number) => live(now).reduce((sum, lot) => sum + lot.remaining, 0);

        for (const step of actions) {
          const now = deps.clock.now().getTime();
          switch (step.kind) {
            case "grant": {
              const expiresAt = step.expiresInHours === null
                ? null
                : now + step.expiresInHours * HOUR_MS;
              const lot = await grantCredits(deps, operator, member, {
                amount: step.amount,
                source: "promo",
                expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString(),
              }, meta);
              lots.push({ id: lot.id, remaining: step.amount, expiresAt, order: lots.length });
              break;
            }
            case "charge": {
              const charge = createJob(deps, operator, member, {
                kind: "render",
                credits_cost: step.cost,
              }, meta);
              if (balance(now) < step.cost) {
                await expectError(charge, "INSUFFICIENT_CREDITS");
                break;
              }
              const job: ModelJob = { id: (await charge).id, status: "queued", allocations: [] };
              const order = live(now).sort((a, b) =>
                (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.order - b.order
              );
              let left = step.cost;
              for (const lot of order) {
                const take = Math.min(left, lot.remaining);
                if (take === 0) break;
                lot.remaining -= take;
                left -= take;
                job.allocations.push({ lot, amount: take });
              }
              jobs.push(job);
              break;
            }
            case "move": {
              if (jobs.length === 0) break;
              const job = jobs[step.pick % jobs.length];
              const move = updateJobStatus(deps, operator, job.id, { status: step.to }, meta);
              if (!legal[job.status].includes(step.to)) {
                await expectError(move, "INVALID_JOB_TRANSITION");
                break;
              }
              assert.equal((await move).status, step.to);
              if (step.to === "failed") {
                for (const { lot, amount } of job.allocations) lot.remaining += amount;
              }
              job.status = step.to;
              break;
            }
            case "advance":
              server.clock.advance(step.hours * HOUR_MS);
              break;
            case "expire":
              await expireCredits(deps);
              break;
          }

          const at = deps.clock.now().getTime();
          assert.equal(await assertLedgerInvariant(deps, member), balance(at));
          const shown = (await getCredits(deps, auth)).lots;
          const expected = new Map(
            lots.map((lot) => [
              lot.id,
              lot.expiresAt !== null && lot.expiresAt <= at ? 0 : lot.remaining,
            ]),
          );
          assert.deepEqual(new Map(shown.map((lot) => [lot.id, lot.remaining])), expected);
        }

        // Once the expiry has run, nothing is pending: the ledger is the shown balance.
        await expireCredits(deps);
        assert.equal(
          await assertLedgerInvariant(deps, member),
          balance(deps.clock.now().getTime()),
        );
      }),
      { numRuns: 100 },
    );
  } finally {
    await server.close();
  }
});
