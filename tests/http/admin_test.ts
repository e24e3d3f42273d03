import assert from "node:assert/strict";
import { registerAdmin, registerMember } from "../helpers/credits.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("operator API: only admins", async (t) => {
  const server = await startTestServer();
  try {
    const admin = await registerAdmin(server);
    const member = await registerMember(server);
    const calls = [
      ["POST", `/admin/users/${member.id}/credits`, { amount: 10, source: "promo" }],
      ["POST", `/admin/users/${member.id}/jobs`, { kind: "render", credits_cost: 1 }],
      ["PATCH", `/admin/jobs/${crypto.randomUUID()}`, { status: "running" }],
    ] as const;

    await t.step("a member gets 403 Admin access required, even with a bad body", async () => {
      for (const [method, path, body] of calls) {
        for (const sent of [body, { nonsense: true }]) {
          const res = await server.api(method, path, { token: member.token, body: sent });
          assert.deepEqual([res.status, res.body], [403, {
            detail: "Admin access required",
            code: "FORBIDDEN",
          }], `${method} ${path}`);
        }
      }
      const lots = await server.deps.db.selectFrom("credit_lots").selectAll().execute();
      assert.deepEqual(lots, []);
    });

    await t.step("no token is 401", async () => {
      for (const [method, path, body] of calls) {
        const res = await server.api(method, path, { body });
        assert.deepEqual([res.status, res.body.code], [401, "NOT_AUTHENTICATED"]);
      }
    });

    await t.step("over tRPC too", async () => {
      await assert.rejects(
        server.trpc(member.token).admin.grantCredits.mutate({
          id: member.id,
          amount: 1,
          source: "promo",
        }),
        (error: Error & { data?: { httpStatus?: number; code?: string } }) => {
          assert.equal(error.message, "Admin access required");
          assert.equal(error.data?.httpStatus, 403);
          return true;
        },
      );
      const lot = await server.trpc(admin.token).admin.grantCredits.mutate({
        id: member.id,
        amount: 1,
        source: "promo",
      });
      assert.equal(lot.granted, 1);
    });
  } finally {
    await server.close();
  }
});

Deno.test("POST /admin/users/{id}/credits", async (t) => {
  const server = await startTestServer();
  try {
    const admin = await registerAdmin(server);
    const member = await registerMember(server);
    const grant = (body: unknown, id = member.id) =>
      server.api("POST", `/admin/users/${id}/credits`, { token: admin.token, body });

    await t.step("201 the new lot; the member's balance and ledger follow", async () => {
      const res = await grant({
        amount: 250,
        source: "purchase",
        expires_at: "2027-01-01T00:00:00Z",
        description: "Starter pack",
      });
      assert.equal(res.status, 201);
      assert.match(res.body.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual({ ...res.body, id: undefined }, {
        id: undefined,
        source: "purchase",
        description: "Starter pack",
        granted: 250,
        remaining: 250,
        expired: 0,
        expires_at: "2027-01-01T00:00:00.000Z",
        status: "active",
        created_at: "2026-11-23T10:00:00.000Z",
      });
      const credits = await server.api("GET", "/users/me/credits", { token: member.token });
      assert.equal(credits.body.balance, 250);
      const history = await server.api("GET", "/users/me/transactions", { token: member.token });
      assert.deepEqual(history.body.transactions[0], {
        id: history.body.transactions[0].id,
        type: "grant",
        description: "Starter pack",
        amount: 250,
        balance_after: 250,
        date: "2026-11-23T10:00:00.000Z",
        job: null,
      });
    });

    await t.step("without expiry or description; a date expires at its first instant", async () => {
      const forever = await grant({ amount: 5, source: "bonus" });
      assert.deepEqual([forever.status, forever.body.expires_at], [201, null]);
      const dated = await grant({ amount: 5, source: "promo", expires_at: "2026-12-24" });
      assert.equal(dated.body.expires_at, "2026-12-24T00:00:00.000Z");
      const history = await server.api("GET", "/users/me/transactions?limit=1", {
        token: member.token,
      });
      assert.equal(history.body.transactions[0].description, "Credits granted (promo)");
    });

    await t.step("404 User not found for an unknown member", async () => {
      const res = await grant({ amount: 5, source: "promo" }, crypto.randomUUID());
      assert.deepEqual([res.status, res.body], [404, {
        detail: "User not found",
        code: "USER_NOT_FOUND",
      }]);
    });

    await t.step("400 with a detail for every bad input, and nothing changes", async () => {
      const cases: [unknown, string][] = [
        [{ amount: 0, source: "promo" }, "amount must be at least 1"],
        [{ amount: -5, source: "promo" }, "amount must be at least 1"],
        [{ amount: 1.5, source: "promo" }, "amount must be a whole number of credits"],
        [{ amount: "10", source: "promo" }, "amount must be a number"],
        [{ amount: 1e12, source: "promo" }, "amount must be at most 1000000000"],
        [{ source: "promo" }, "amount is required"],
        [{ amount: 5 }, "source is required"],
        [{ amount: 5, source: "  " }, "source is required"],
        [{ amount: 5, source: "x".repeat(51) }, "source must be at most 50 characters"],
        [
          { amount: 5, source: "promo", expires_at: "next week" },
          "expires_at must be an ISO 8601 date-time or date",
        ],
        [
          { amount: 5, source: "promo", expires_at: "2026-11-23T09:59:59Z" },
          "expires_at must be in the future",
        ],
        [{ amount: 5, source: "promo", colour: "red" }, "Unknown field: colour"],
      ];
      for (const [body, detail] of cases) {
        const res = await grant(body);
        assert.deepEqual([res.status, res.body.detail], [400, detail], JSON.stringify(body));
      }
      const malformed = await grant("{not json");
      assert.deepEqual([malformed.status, malformed.body.code], [400, "MALFORMED_JSON"]);
      const credits = await server.api("GET", "/users/me/credits", { token: member.token });
      assert.equal(credits.body.lots.length, 3);
    });

    await t.step("each grant is audited with the operator", async () => {
      const events = await server.deps.db.selectFrom("audit_events").selectAll()
        .where("event", "=", "credits.granted").execute();
      assert.equal(events.length, 3);
      assert.equal(events[0].user_id, member.id);
      assert.equal(JSON.parse(events[0].details!).operator_id, admin.id);
      assert.equal(JSON.parse(events[0].details!).amount, 250);
    });
  } finally {
    await server.close();
  }
});

Deno.test("POST /admin/users/{id}/jobs and PATCH /admin/jobs/{id}", async (t) => {
  const server = await startTestServer();
  try {
    const admin = await registerAdmin(server);
    const member = await registerMember(server);
    const createJob = (body: unknown, id = member.id) =>
      server.api("POST", `/admin/users/${id}/jobs`, { token: admin.token, body });
    const patch = (id: string, body: unknown) =>
      server.api("PATCH", `/admin/jobs/${id}`, { token: admin.token, body });
    const balance = async () =>
      (await server.api("GET", "/users/me/credits", { token: member.token })).body.balance;
    await server.api("POST", `/admin/users/${member.id}/credits`, {
      token: admin.token,
      body: { amount: 100, source: "purchase" },
    });

    let job: Record<string, unknown> = {};
    await t.step("201 the queued job, its cost debited", async () => {
      const res = await createJob({ kind: "render", credits_cost: 30, description: "4K video" });
      assert.equal(res.status, 201);
      job = res.body;
      assert.deepEqual({ ...job, id: undefined }, {
        id: undefined,
        user_id: member.id,
        kind: "render",
        status: "queued",
        credits_cost: 30,
        description: "4K video",
        error: null,
        created_at: "2026-11-23T10:00:00.000Z",
        updated_at: "2026-11-23T10:00:00.000Z",
        started_at: null,
        finished_at: null,
        refunded_at: null,
      });
      assert.equal(await balance(), 70);
    });

    await t.step("400 Insufficient credits changes nothing", async () => {
      const res = await createJob({ kind: "render", credits_cost: 71 });
      assert.deepEqual([res.status, res.body], [400, {
        detail: "Insufficient credits",
        code: "INSUFFICIENT_CREDITS",
      }]);
      assert.equal(await balance(), 70);
      const jobs = await server.api("GET", "/users/me/jobs", { token: member.token });
      assert.equal(jobs.body.pagination.total, 1);
    });

    await t.step("404 for an unknown member; 400 for bad input", async () => {
      const missing = await createJob({ kind: "render", credits_cost: 1 }, crypto.randomUUID());
      assert.deepEqual([missing.status, missing.body.detail], [404, "User not found"]);
      const cases: [unknown, string][] = [
        [{ kind: "render", credits_cost: 0 }, "credits_cost must be at least 1"],
        [{ kind: "render", credits_cost: 2.5 }, "credits_cost must be a whole number of credits"],
        [{ kind: "render" }, "credits_cost is required"],
        [{ kind: "", credits_cost: 1 }, "kind is required"],
        [{ credits_cost: 1 }, "kind is required"],
        [{ kind: "render", credits_cost: 1, status: "running" }, "Unknown field: status"],
      ];
      for (const [body, detail] of cases) {
        const res = await createJob(body);
        assert.deepEqual([res.status, res.body.detail], [400, detail], JSON.stringify(body));
      }
    });

    await t.step("PATCH moves it along and stamps the times", async () => {
      server.clock.advance(1000);
      const running = await patch(job.id as string, { status: "running" });
      assert.deepEqual(
        [running.status, running.body.status, running.body.started_at],
        [200, "running", "2026-11-23T10:00:01.000Z"],
      );
      server.clock.advance(1000);
      const done = await patch(job.id as string, { status: "succeeded" });
      assert.deepEqual(
        [done.body.status, done.body.finished_at, done.body.refunded_at],
        ["succeeded", "2026-11-23T10:00:02.000Z", null],
      );
      assert.equal(await balance(), 70, "success keeps the charge");
    });

    await t.step("400 on an illegal transition, with a clear detail", async () => {
      const back = await patch(job.id as string, { status: "running" });
      assert.deepEqual([back.status, back.body], [400, {
        detail: "Cannot move a job from succeeded to running",
        code: "INVALID_JOB_TRANSITION",
      }]);
      const queued = (await createJob({ kind: "thumb", credits_cost: 5 })).body;
      const skip = await patch(queued.id, { status: "succeeded" });
      assert.deepEqual(
        [skip.status, skip.body.detail],
        [400, "Cannot move a job from queued to succeeded"],
      );
      const bad = await patch(queued.id, { status: "queued" });
      assert.deepEqual(
        [bad.status, bad.body.detail],
        [400, "status must be one of running, succeeded, failed"],
      );
      const errorOnRun = await patch(queued.id, { status: "running", error: "x" });
      assert.deepEqual(
        [errorOnRun.status, errorOnRun.body.detail],
        [400, "error is only allowed with status failed"],
      );
    });

    await t.step("failed refunds the charge once; a second failed is refused", async () => {
      const queued = (await createJob({ kind: "upscale", credits_cost: 20 })).body;
      assert.equal(await balance(), 45);
      const failed = await patch(queued.id, { status: "failed", error: "GPU lost" });
      assert.deepEqual(
        [failed.status, failed.body.status, failed.body.error, failed.body.started_at],
        [200, "failed", "GPU lost", null],
      );
      assert.equal(failed.body.refunded_at, failed.body.finished_at);
      assert.equal(await balance(), 65);
      const again = await patch(queued.id, { status: "failed" });
      assert.deepEqual([again.status, again.body.detail], [400, "Job is already failed"]);
      assert.equal(await balance(), 65);
      const refunds = await server.api("GET", "/users/me/transactions?type=refund", {
        token: member.token,
      });
      assert.equal(refunds.body.pagination.total, 1);
      assert.deepEqual(refunds.body.transactions[0].job, {
        id: queued.id,
        kind: "upscale",
        status: "failed",
      });
    });

    await t.step("404 Job not found", async () => {
      for (const id of [crypto.randomUUID(), "not-a-uuid"]) {
        const res = await patch(id, { status: "running" });
        assert.deepEqual([res.status, res.body], [404, {
          detail: "Job not found",
          code: "JOB_NOT_FOUND",
        }]);
      }
    });

    await t.step("creations and status changes are audited", async () => {
      const events = await server.deps.db.selectFrom("audit_events").select(["event", "details"])
        .where("event", "in", ["job.created", "job.status_changed"]).orderBy("id").execute();
      assert.deepEqual(events.map((e) => e.event), [
        "job.created",
        "job.status_changed",
        "job.status_changed",
        "job.created",
        "job.created",
        "job.status_changed",
      ]);
      assert.deepEqual(
        [JSON.parse(events[5].details!).to, JSON.parse(events[5].details!).refunded],
        ["failed", 20],
      );
    });
  } finally {
    await server.close();
  }
});

Deno.test("concurrent charges never spend a credit twice", async () => {
  const server = await startTestServer();
  try {
    const admin = await registerAdmin(server);
    const member = await registerMember(server);
    await server.api("POST", `/admin/users/${member.id}/credits`, {
      token: admin.token,
      body: { amount: 50, source: "purchase" },
    });
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        server.api("POST", `/admin/users/${member.id}/jobs`, {
          token: admin.token,
          body: { kind: "render", credits_cost: 10 },
        })),
    );
    assert.deepEqual(
      answers.map((res) => res.status).sort(),
      [...Array(5).fill(201), ...Array(7).fill(400)],
    );
    const credits = await server.api("GET", "/users/me/credits", { token: member.token });
    assert.deepEqual([credits.body.balance, credits.body.lots[0].remaining], [0, 0]);
    // And failing all of them at once refunds each exactly once.
    const created = answers.filter((res) => res.status === 201).map((res) => res.body.id);
    const failures = await Promise.all(
      [...created, ...created].map((id) =>
        server.api("PATCH", `/admin/jobs/${id}`, { token: admin.token, body: { status: "failed" } })
      ),
    );
    assert.deepEqual(
      failures.map((res) => res.status).sort(),
      [...Array(5).fill(200), ...Array(5).fill(400)],
    );
    const after = await server.api("GET", "/users/me/credits", { token: member.token });
    assert.equal(after.body.balance, 50);
  } finally {
    await server.close();
  }
});
