import assert from "node:assert/strict";
import { join } from "node:path";
import { expireCredits } from "../../src/services/credits.ts";
import { DAY_MS, type Member, registerAdmin, registerMember, signIn } from "../helpers/credits.ts";
import { startTestServer, type TestServer } from "../helpers/test_server.ts";

/** The operator API, as the product's back end calls it. */
function operatorOf(server: TestServer, admin: Member) {
  return {
    grant: async (member: Member, body: Record<string, unknown>) => {
      const res = await server.api("POST", `/admin/users/${member.id}/credits`, {
        token: admin.token,
        body: { source: "promo", ...body },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    },
    charge: async (member: Member, credits_cost: number, kind = "render") => {
      const res = await server.api("POST", `/admin/users/${member.id}/jobs`, {
        token: admin.token,
        body: { kind, credits_cost },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    },
    move: async (jobId: string, status: string) => {
      const res = await server.api("PATCH", `/admin/jobs/${jobId}`, {
        token: admin.token,
        body: { status },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    },
  };
}

function inDays(server: TestServer, days: number): string {
  return new Date(server.clock.now().getTime() + days * DAY_MS).toISOString();
}

Deno.test("GET /users/me/credits", async (t) => {
  const server = await startTestServer();
  try {
    const admin = await registerAdmin(server);
    const operator = operatorOf(server, admin);
    const member = await registerMember(server);
    const credits = async () =>
      (await server.api("GET", "/users/me/credits", { token: member.token })).body;

    await t.step("401 without a token", async () => {
      const res = await server.api("GET", "/users/me/credits");
      assert.deepEqual([res.status, res.body.detail], [401, "Authentication required"]);
    });

    await t.step("a new member has nothing", async () => {
      assert.deepEqual(await credits(), {
        balance: 0,
        lots: [],
        expiring_soon: { days: 30, amount: 0, lots: [] },
      });
    });

    const lots: Record<string, string> = {};
    await t.step("balance, lots with status, and what expires within 30 days", async () => {
      lots.forever = (await operator.grant(member, { amount: 100, source: "purchase" })).id;
      server.clock.advance(1000);
      lots.in40 = (await operator.grant(member, { amount: 40, expires_at: inDays(server, 40) })).id;
      server.clock.advance(1000);
      lots.in20 = (await operator.grant(member, { amount: 20, expires_at: inDays(server, 20) })).id;
      server.clock.advance(1000);
      lots.in5 = (await operator.grant(member, { amount: 5, expires_at: inDays(server, 5) })).id;
      server.clock.advance(1000);
      lots.in10 = (await operator.grant(member, { amount: 10, expires_at: inDays(server, 10) })).id;
      await operator.charge(member, 5); // exhausts the 5-day lot

      const body = await credits();
      assert.equal(body.balance, 170);
      assert.deepEqual(
        body.lots.map((l: Record<string, unknown>) => [l.id, l.status, l.granted, l.remaining]),
        [
          [lots.in10, "active", 10, 10],
          [lots.in5, "exhausted", 5, 0],
          [lots.in20, "active", 20, 20],
          [lots.in40, "active", 40, 40],
          [lots.forever, "active", 100, 100],
        ],
        "newest first",
      );
      assert.deepEqual(Object.keys(body.lots[0]).sort(), [
        "created_at",
        "description",
        "expired",
        "expires_at",
        "granted",
        "id",
        "remaining",
        "source",
        "status",
      ]);
      assert.deepEqual(body.expiring_soon, {
        days: 30,
        amount: 30,
        lots: [
          { id: lots.in10, amount: 10, expires_at: body.lots[0].expires_at },
          { id: lots.in20, amount: 20, expires_at: body.lots[2].expires_at },
        ],
      });
    });

    await t.step(
      "a lot past its date stops counting at once, before the expiry job runs",
      async () => {
        server.clock.advance(10 * DAY_MS);
        await signIn(server, member);
        const body = await credits();
        assert.equal(body.balance, 160);
        const lot = body.lots.find((l: { id: string }) => l.id === lots.in10);
        assert.deepEqual([lot.status, lot.remaining, lot.expired], ["expired", 0, 10]);
        const expiries = await server.api("GET", "/users/me/transactions?type=expire", {
          token: member.token,
        });
        assert.equal(expiries.body.pagination.total, 0, "not written off yet");
        // 10 days on, the 40-day lot now expires within 30 days too.
        assert.deepEqual(
          body.expiring_soon.lots.map((l: { id: string }) => l.id),
          [lots.in20, lots.in40],
        );
      },
    );
  } finally {
    await server.close();
  }
});

Deno.test("GET /users/me/transactions: pages", async (t) => {
  const server = await startTestServer();
  try {
    const admin = await registerAdmin(server);
    const operator = operatorOf(server, admin);
    const member = await registerMember(server);
    const other = await registerMember(server);
    const list = (query = "", token = member.token) =>
      server.api("GET", `/users/me/transactions${query}`, { token });

    await t.step("empty history: no rows, total 0, pages 0", async () => {
      const res = await list();
      assert.deepEqual([res.status, res.body], [200, {
        transactions: [],
        pagination: { page: 1, limit: 20, total: 0, pages: 0 },
      }]);
    });

    // 45 grants, three per clock tick: entries share dates, so the tie-break matters.
    for (let i = 1; i <= 45; i++) {
      await operator.grant(member, { amount: i });
      if (i % 3 === 0) server.clock.advance(10_000);
    }
    await operator.grant(other, { amount: 1000 });

    await t.step("defaults: page 1, 20 newest first", async () => {
      const res = await list();
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.pagination, { page: 1, limit: 20, total: 45, pages: 3 });
      assert.deepEqual(
        res.body.transactions.map((e: { amount: number }) => e.amount),
        Array.from({ length: 20 }, (_, i) => 45 - i),
      );
      const first = res.body.transactions[0];
      assert.deepEqual(first, {
        id: first.id,
        type: "grant",
        description: "Credits granted (promo)",
        amount: 45,
        balance_after: (45 * 46) / 2,
        date: "2026-11-23T10:02:20.000Z",
        job: null,
      });
    });

    await t.step(
      "the last page is partial; a page past the end is empty with the total",
      async () => {
        const last = await list("?page=3");
        assert.deepEqual(
          last.body.transactions.map((e: { amount: number }) => e.amount),
          [5, 4, 3, 2, 1],
        );
        const past = await list("?page=4");
        assert.deepEqual([past.status, past.body], [200, {
          transactions: [],
          pagination: { page: 4, limit: 20, total: 45, pages: 3 },
        }]);
        const far = await list("?page=9007199254740991&limit=100");
        assert.deepEqual([far.status, far.body.transactions], [200, []]);
      },
    );

    await t.step("limit bounds: 1 and 100 are fine", async () => {
      const one = await list("?limit=1&page=45");
      assert.deepEqual(one.body.pagination, { page: 45, limit: 1, total: 45, pages: 45 });
      assert.equal(one.body.transactions[0].amount, 1);
      const hundred = await list("?limit=100");
      assert.equal(hundred.body.transactions.length, 45);
      assert.equal(hundred.body.pagination.pages, 1);
    });

    await t.step("walking every page sees each entry once, newest first, ties by id", async () => {
      const seen: { id: number; date: string }[] = [];
      for (let page = 1; page <= 7; page++) {
        const res = await list(`?limit=7&page=${page}`);
        seen.push(...res.body.transactions);
      }
      assert.equal(seen.length, 45);
      for (let i = 1; i < seen.length; i++) {
        assert.ok(seen[i - 1].date >= seen[i].date);
        assert.ok(seen[i - 1].id > seen[i].id);
      }
    });

    await t.step("invalid values are 400 with a detail naming the parameter", async () => {
      const cases: [string, string][] = [
        ["?limit=0", "limit must be between 1 and 100"],
        ["?limit=101", "limit must be between 1 and 100"],
        ["?limit=-3", "limit must be between 1 and 100"],
        ["?limit=abc", "limit must be a whole number"],
        ["?limit=2.5", "limit must be a whole number"],
        ["?limit=", "limit must be between 1 and 100"],
        ["?page=0", "page must be at least 1"],
        ["?page=-1", "page must be at least 1"],
        ["?page=one", "page must be a whole number"],
        ["?page=1.5", "page must be a whole number"],
        ["?page=99999999999999999999", "page must be a whole number"],
        ["?page=1&page=2", "page must be a whole number"],
        ["?type=gift", "type must be one of grant, debit, refund, expire, all"],
        ["?type=", "type must be one of grant, debit, refund, expire, all"],
        [
          "?start_date=yesterday",
          "start_date must be a date (YYYY-MM-DD) or an ISO 8601 date-time",
        ],
        ["?end_date=2026-02-30", "end_date must be a date (YYYY-MM-DD) or an ISO 8601 date-time"],
        [
          "?end_date=2026-11-23T25:00:00Z",
          "end_date must be a date (YYYY-MM-DD) or an ISO 8601 date-time",
        ],
        ["?sort=asc", "Unknown field: sort"],
      ];
      for (const [query, detail] of cases) {
        const res = await list(query);
        assert.deepEqual(
          [res.status, res.body.code, res.body.detail],
          [400, "VALIDATION_ERROR", detail],
          query,
        );
      }
    });

    await t.step("another member sees only their own", async () => {
      const res = await list("", other.token);
      assert.deepEqual(
        [res.body.pagination.total, res.body.transactions[0].amount],
        [1, 1000],
      );
    });

    await t.step("over tRPC, with or without input", async () => {
      const client = server.trpc(member.token);
      const all = await client.credits.transactions.query();
      assert.equal(all.pagination.total, 45);
      const some = await client.credits.transactions.query({ limit: 2, page: 2 });
      assert.deepEqual(some.transactions.map((e) => e.amount), [43, 42]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("GET /users/me/transactions: type and date filters", async (t) => {
  const server = await startTestServer();
  try {
    const admin = await registerAdmin(server);
    const operator = operatorOf(server, admin);
    const member = await registerMember(server);
    const list = async (query: string) => {
      const res = await server.api("GET", `/users/me/transactions${query}`, {
        token: member.token,
      });
      assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
      return {
        total: res.body.pagination.total,
        entries: res.body.transactions.map((e: { type: string; amount: number }) =>
          `${e.type} ${e.amount}`
        ),
        body: res.body,
      };
    };

    // Nov 23 10:00: grant 100 (expires Nov 24 12:00), grant 50, job A charged 30.
    await operator.grant(member, { amount: 100, expires_at: "2026-11-24T12:00:00Z" });
    await operator.grant(member, { amount: 50, source: "purchase" });
    const jobA = await operator.charge(member, 30, "render");
    // Nov 24 10:00: job A fails (refund 30); job B charged 20.
    server.clock.set(new Date("2026-11-24T10:00:00.000Z"));
    await signIn(server, admin, member);
    await operator.move(jobA.id, "failed");
    await operator.charge(member, 20, "thumbnail");
    // Nov 25 23:59:59.999: the expiry job writes off the 80 left in the first lot.
    server.clock.set(new Date("2026-11-25T23:59:59.999Z"));
    await expireCredits(server.deps);
    // Nov 26 00:00: grant 7.
    server.clock.set(new Date("2026-11-26T00:00:00.000Z"));
    await signIn(server, admin, member);
    await operator.grant(member, { amount: 7, source: "bonus" });

    await t.step("the whole history, newest first", async () => {
      const { entries, body } = await list("");
      assert.deepEqual(entries, [
        "grant 7",
        "expire -80",
        "debit -20",
        "refund 30",
        "debit -30",
        "grant 50",
        "grant 100",
      ]);
      assert.deepEqual(
        body.transactions.map((e: { balance_after: number }) => e.balance_after),
        [57, 50, 130, 150, 120, 150, 100],
      );
      assert.deepEqual(body.transactions[2].job, {
        id: body.transactions[2].job.id,
        kind: "thumbnail",
        status: "queued",
      });
      assert.deepEqual(body.transactions[3].job, { id: jobA.id, kind: "render", status: "failed" });
      assert.equal(body.transactions[3].description, "Refund: render failed");
      assert.equal(body.transactions[4].description, "Job: render");
      assert.equal(body.transactions[1].description, "Credits expired (promo)");
    });

    await t.step("by type", async () => {
      assert.deepEqual((await list("?type=grant")).entries, ["grant 7", "grant 50", "grant 100"]);
      assert.deepEqual((await list("?type=debit")).entries, ["debit -20", "debit -30"]);
      assert.deepEqual((await list("?type=refund")).entries, ["refund 30"]);
      assert.deepEqual((await list("?type=expire")).entries, ["expire -80"]);
      assert.equal((await list("?type=all")).total, 7);
      const page = await list("?type=grant&limit=2&page=2");
      assert.deepEqual([page.entries, page.body.pagination], [["grant 100"], {
        page: 2,
        limit: 2,
        total: 3,
        pages: 2,
      }]);
    });

    await t.step("dates are whole UTC days, both ends inclusive", async () => {
      assert.deepEqual((await list("?start_date=2026-11-24&end_date=2026-11-24")).entries, [
        "debit -20",
        "refund 30",
      ]);
      assert.deepEqual((await list("?start_date=2026-11-25")).entries, [
        "grant 7",
        "expire -80",
      ]);
      assert.deepEqual((await list("?end_date=2026-11-23")).entries, [
        "debit -30",
        "grant 50",
        "grant 100",
      ]);
      assert.equal((await list("?start_date=2026-11-24&end_date=2026-11-25")).total, 3);
      const none = await list("?start_date=2026-11-27");
      assert.deepEqual([none.total, none.body.pagination.pages, none.entries], [0, 0, []]);
      assert.equal((await list("?end_date=2026-11-22")).total, 0);
    });

    await t.step("date-times are exact instants, any offset, inclusive", async () => {
      assert.deepEqual(
        (await list("?start_date=2026-11-25T23:59:59.999Z&end_date=2026-11-26T00:00:00Z"))
          .entries,
        ["grant 7", "expire -80"],
      );
      // 11:00+01:00 is 10:00Z, the instant of the refund and the second debit.
      assert.deepEqual(
        (await list(
          `?start_date=${encodeURIComponent("2026-11-24T11:00:00+01:00")}` +
            "&end_date=2026-11-24T10:00:00Z",
        )).entries,
        ["debit -20", "refund 30"],
      );
      assert.equal(
        (await list("?start_date=2026-11-24T10:00:00.001Z&end_date=2026-11-25")).total,
        1,
      );
    });

    await t.step("type and dates together, with pages", async () => {
      const res = await list("?type=debit&start_date=2026-11-23&end_date=2026-11-24&limit=1");
      assert.deepEqual([res.entries, res.body.pagination.total], [["debit -20"], 2]);
      const second = await list(
        "?type=debit&start_date=2026-11-23&end_date=2026-11-24&limit=1&page=2",
      );
      assert.deepEqual(second.entries, ["debit -30"]);
      assert.equal((await list("?type=grant&start_date=2026-11-24&end_date=2026-11-25")).total, 0);
    });

    await t.step("start after end is 400 with a detail", async () => {
      for (
        const query of [
          "?start_date=2026-11-25&end_date=2026-11-24",
          "?start_date=2026-11-24T10:00:00.001Z&end_date=2026-11-24T10:00:00Z",
          "?start_date=2026-11-25T00:00:00Z&end_date=2026-11-24",
        ]
      ) {
        const res = await server.api("GET", `/users/me/transactions${query}`, {
          token: member.token,
        });
        assert.deepEqual([res.status, res.body], [400, {
          detail: "start_date must not be after end_date",
          code: "INVALID_DATE_RANGE",
        }], query);
      }
    });
  } finally {
    await server.close();
  }
});

Deno.test("GET /users/me/jobs", async (t) => {
  const server = await startTestServer();
  try {
    const operator = operatorOf(server, await registerAdmin(server));
    const member = await registerMember(server);
    const list = (query = "") =>
      server.api("GET", `/users/me/jobs${query}`, { token: member.token });

    await t.step("empty", async () => {
      const res = await list();
      assert.deepEqual([res.status, res.body], [200, {
        jobs: [],
        pagination: { page: 1, limit: 20, total: 0, pages: 0 },
      }]);
    });

    await operator.grant(member, { amount: 1000 });
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push((await operator.charge(member, 1, `kind-${i}`)).id);
    for (const id of ids.slice(0, 5)) await operator.move(id, "running");
    for (const id of ids.slice(0, 2)) await operator.move(id, "succeeded");
    await operator.move(ids[24], "failed");

    await t.step("newest first, by page, with the total", async () => {
      const first = await list();
      assert.deepEqual(first.body.pagination, { page: 1, limit: 20, total: 25, pages: 2 });
      assert.deepEqual(
        first.body.jobs.map((j: { id: string }) => j.id),
        ids.slice(5).reverse(),
      );
      const second = await list("?page=2");
      assert.deepEqual(
        second.body.jobs.map((j: { id: string }) => j.id),
        ids.slice(0, 5).reverse(),
      );
      const past = await list("?page=3");
      assert.deepEqual([past.body.jobs, past.body.pagination.total], [[], 25]);
    });

    await t.step("by status", async () => {
      const counts: Record<string, number> = {};
      for (const status of ["queued", "running", "succeeded", "failed", "all"]) {
        counts[status] = (await list(`?status=${status}&limit=1`)).body.pagination.total;
      }
      assert.deepEqual(counts, { queued: 19, running: 3, succeeded: 2, failed: 1, all: 25 });
      const running = await list("?status=running");
      assert.deepEqual(
        running.body.jobs.map((j: { id: string }) => j.id),
        ids.slice(2, 5).reverse(),
      );
      assert.ok(running.body.jobs.every((j: { started_at: string | null }) => j.started_at));
    });

    await t.step("invalid values are 400 with a detail", async () => {
      for (
        const [query, detail] of [
          ["?status=done", "status must be one of queued, running, succeeded, failed, all"],
          ["?limit=500", "limit must be between 1 and 100"],
          ["?page=x", "page must be a whole number"],
          ["?type=grant", "Unknown field: type"],
        ]
      ) {
        const res = await list(query);
        assert.deepEqual([res.status, res.body.detail], [400, detail], query);
      }
    });
  } finally {
    await server.close();
  }
});

Deno.test("GET /users/me/stats", async (t) => {
  const server = await startTestServer();
  try {
    const operator = operatorOf(server, await registerAdmin(server));
    const member = await registerMember(server);
    const stats = async () =>
      (await server.api("GET", "/users/me/stats", { token: member.token })).body;

    await t.step("a new member", async () => {
      assert.deepEqual(await stats(), {
        credits: { balance: 0, granted: 0, spent: 0, refunded: 0, expired: 0 },
        jobs: { total: 0, queued: 0, running: 0, succeeded: 0, failed: 0 },
        sessions: { active: 1 },
        storage: { bytes: 0 },
        member_since: "2026-11-23T10:00:00.000Z",
      });
    });

    await t.step("credits, jobs, sessions and storage", async () => {
      await operator.grant(member, { amount: 100 });
      const tenMinutes = new Date(server.clock.now().getTime() + 600_000).toISOString();
      await operator.grant(member, { amount: 40, expires_at: tenMinutes });
      const a = await operator.charge(member, 30);
      const b = await operator.charge(member, 5);
      await operator.charge(member, 5);
      await operator.move(a.id, "running");
      await operator.move(a.id, "failed");
      await operator.move(b.id, "running");
      await server.api("POST", "/auth/login", {
        body: { email: member.email, password: "secure123" },
      });
      const folder = join(server.deps.config.uploadDir, "profiles", member.id);
      await Deno.mkdir(join(folder, "nested"), { recursive: true });
      await Deno.writeFile(join(folder, "a.jpg"), new Uint8Array(1234));
      await Deno.writeFile(join(folder, "nested", "b.jpg"), new Uint8Array(66));

      server.clock.advance(600_000); // the 40-credit lot expires with 30 in it (refunded)
      const body = await stats();
      assert.deepEqual(body.credits, {
        balance: 100,
        granted: 140,
        spent: 40,
        refunded: 30,
        expired: 30,
      });
      assert.equal(
        body.credits.granted - body.credits.spent + body.credits.refunded - body.credits.expired,
        body.credits.balance,
      );
      assert.deepEqual(body.jobs, { total: 3, queued: 1, running: 1, succeeded: 0, failed: 1 });
      assert.deepEqual(body.sessions, { active: 2 });
      assert.deepEqual(body.storage, { bytes: 1300 });
    });

    await t.step("401 without a token", async () => {
      const res = await server.api("GET", "/users/me/stats");
      assert.equal(res.status, 401);
    });
  } finally {
    await server.close();
  }
});
