import assert from "node:assert/strict";
import { DatabaseRateLimitStore } from "../src/data/rate_limits.ts";
import { writeTransaction } from "../src/data/transactions.ts";
import { purgeDeletionsJob } from "../src/jobs/purge_deletions.ts";
import { runScheduledTick } from "../src/jobs/scheduler.ts";
import { startSession } from "../src/services/sessions.ts";
import { userRow } from "./helpers/database.ts";
import { readMailDir } from "./helpers/mail.ts";
import { createTestDatabase, onPostgres } from "./helpers/test_database.ts";
import { startTestServer, type TestServer } from "./helpers/test_server.ts";

/**
 * Two Vestibule instances (each its own Deps: pool, scheduler, outbox, mail directory) on one
 * PostgreSQL database, sharing the JWT secret as a deployment behind a load balancer does.
 */
async function twoInstances(): Promise<{ a: TestServer; b: TestServer; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const env = {
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: "6",
    JWT_SECRET: "a shared secret of the two instances, long enough",
    RATE_LIMIT_REFRESH_PER_IP: "100000/60",
  };
  const a = await startTestServer(env);
  const b = await startTestServer(env);
  return {
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      await database.drop();
    },
  };
}

Deno.test({
  name: "two instances on one PostgreSQL agree",
  ignore: !onPostgres,
  fn: async (t) => {
    const { a, b, close } = await twoInstances();
    try {
      await t.step("an access token is refused on B right after logout-all on A", async () => {
        const signedIn = await a.register("both@example.com");
        const token = signedIn.access_token;
        assert.equal((await b.api("GET", "/users/me", { token })).status, 200);
        const out = await a.api("POST", "/users/me/logout-all", { token });
        assert.equal(out.status, 200);
        const after = await b.api("GET", "/users/me", { token });
        assert.equal(after.status, 401);
        assert.equal(after.body.detail, "Invalid or expired access token");
      });

      await t.step("a rate-limit window is counted across both instances", async () => {
        // The store the shared RateLimiter uses: 60 attempts at once, 30 through each instance.
        const stores = [
          new DatabaseRateLimitStore(a.deps.db),
          new DatabaseRateLimitStore(b.deps.db),
        ];
        const now = a.clock.now().getTime();
        const windows = await Promise.all(
          Array.from(
            { length: 60 },
            (_, i) => stores[i % 2].increment("login-ip:203.0.113.9", 60_000, now),
          ),
        );
        assert.deepEqual(
          windows.map((w) => w.count).sort((x, y) => x - y),
          Array.from({ length: 60 }, (_, i) => i + 1),
          "every attempt got its own count: the 31st is refused whichever instance gets it",
        );
        assert.equal(new Set(windows.map((w) => w.resetAt)).size, 1);
        assert.equal((await stores[1].get(["login-ip:203.0.113.9"], now))[0]?.count, 60);
        // A new window starts once the old one has ended, on either instance.
        const later = await stores[0].increment("login-ip:203.0.113.9", 60_000, now + 60_000);
        assert.deepEqual(later, { count: 1, resetAt: now + 120_000 });
      });

      await t.step("the per-address sign-in limit counts attempts on both instances", async () => {
        // Through the real sign-in: every attempt from this address, on A or on B, counts.
        const { limit } = a.deps.config.rateLimits.loginPerIp;
        const attempt = (server: TestServer, i: number) =>
          server.api("POST", "/auth/login", {
            body: { email: `nobody${i}@example.com`, password: "wrong-password" },
          });
        for (let i = 0; i < limit; i++) {
          assert.equal((await attempt(i % 2 === 0 ? a : b, i)).status, 401);
        }
        for (const server of [a, b]) {
          const refused = await attempt(server, limit);
          assert.equal(refused.status, 429);
          assert.match(refused.headers.get("retry-after") ?? "", /^\d+$/);
        }
      });

      await t.step(
        "a due purge and a pending mail are each handled once when both schedulers fire",
        async () => {
          const past = new Date(a.clock.now().getTime() - 1000).toISOString();
          const members = Array.from({ length: 6 }, (_, i) => `gone${i}`);
          await a.deps.db.insertInto("users").values(
            members.map((id) => userRow(id, { status: "pending_deletion", deletion_date: past })),
          ).execute();
          await a.deps.db.insertInto("outbox").values({
            user_id: null,
            kind: "test",
            recipient: "ops@example.com",
            subject: "once",
            text_body: "hello",
            html_body: "<p>hello</p>",
            next_attempt_at: past,
            created_at: past,
          }).execute();

          const tick = new Date("2026-11-23T11:10:00.000Z");
          const ran = await Promise.all([
            runScheduledTick(a.deps, purgeDeletionsJob, tick),
            runScheduledTick(b.deps, purgeDeletionsJob, tick),
          ]);
          assert.equal(ran.filter(Boolean).length, 1, "one instance ran the tick");
          const left = await a.deps.db.selectFrom("users").select("id")
            .where("id", "in", members).execute();
          assert.deepEqual(left, []);

          // Both outboxes deliver at once; each message leaves once (the notices included).
          await Promise.all([a.deps.outbox.deliverDue(), b.deps.outbox.deliverDue()]);
          await Promise.all([a.mailbox(), b.mailbox()]);
          const mail = [
            ...await readMailDir(`${a.dataDir}/mail`),
            ...await readMailDir(`${b.dataDir}/mail`),
          ];
          assert.equal(mail.filter((m) => m.to === "ops@example.com").length, 1);
          for (const id of members) {
            assert.equal(mail.filter((m) => m.to === `${id}@example.com`).length, 1, id);
          }
        },
      );

      await t.step("two purges running at once take each member once", async () => {
        const past = new Date(a.clock.now().getTime() - 1000).toISOString();
        const members = Array.from({ length: 20 }, (_, i) => `racing${i}`);
        await a.deps.db.insertInto("users").values(
          members.map((id) => userRow(id, { status: "pending_deletion", deletion_date: past })),
        ).execute();
        const { purgeDueAccounts } = await import("../src/services/account_purge.ts");
        const now = a.clock.now();
        const results = await Promise.all([
          purgeDueAccounts(a.deps, now, { batchSize: 5 }),
          purgeDueAccounts(b.deps, now, { batchSize: 5 }),
        ]);
        assert.equal(results[0].accounts_purged + results[1].accounts_purged, 20);
        const notices = await a.deps.db.selectFrom("outbox").select("recipient")
          .where("recipient", "like", "racing%").execute();
        assert.equal(notices.length, 20, "one final notice per member");
      });

      await t.step(
        "200 concurrent double refreshes across the instances mint no second successor",
        async () => {
          const user = await a.deps.db.selectFrom("users").select("id")
            .where("email", "=", "both@example.com").executeTakeFirstOrThrow();
          const meta = { ip: "127.0.0.1", userAgent: "test" };
          const earlier = (await a.deps.db.selectFrom("sessions").select("id").execute())
            .map((row) => row.id);
          const pairs = [];
          for (let i = 0; i < 200; i++) {
            pairs.push(
              await writeTransaction(a.deps.db, (trx) => startSession(a.deps, trx, user.id, meta)),
            );
          }
          const answers = await Promise.all(
            pairs.map((pair) =>
              Promise.all(
                [a, b].map((server) =>
                  server.api("POST", "/auth/refresh", {
                    body: { refresh_token: pair.refresh_token },
                  })
                ),
              )
            ),
          );
          let doubleMints = 0;
          for (const answer of answers) {
            const tokens = new Set(
              answer.filter((r) => r.status === 200).map((r) => r.body.refresh_token),
            );
            assert.ok(
              answer.some((r) => r.status === 200),
              JSON.stringify(answer.map((r) => r.body)),
            );
            if (tokens.size > 1) doubleMints++;
          }
          assert.equal(doubleMints, 0);
          const perSession = await a.deps.db.selectFrom("refresh_tokens")
            .innerJoin("sessions", "sessions.id", "refresh_tokens.session_id")
            .select((eb) => ["refresh_tokens.session_id", eb.fn.countAll<number>().as("n")])
            .where("sessions.user_id", "=", user.id)
            .where("sessions.id", "not in", earlier)
            .groupBy("refresh_tokens.session_id").execute();
          assert.equal(perSession.length, 200);
          assert.deepEqual(perSession.filter((row) => row.n !== 2), [], "one successor per token");
        },
      );
    } finally {
      await close();
    }
  },
});

/** `deno task start` in its own process on a free port; resolves with its URL once it listens. */
async function startProcess(env: Record<string, string>) {
  const dataDir = await Deno.makeTempDir({ prefix: "vestibule-instance-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "src/main.ts"],
    cwd: new URL("../", import.meta.url),
    env: { ...env, DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", LOG_REQUESTS: "false" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let url: string | undefined;
  while (url === undefined) {
    const { value, done } = await lines.read();
    if (done) throw new Error("the instance exited before listening");
    buffered += value;
    const line = buffered.split("\n").find((l) => l.includes('"msg":"listening"'));
    if (line !== undefined) url = JSON.parse(line).url;
  }
  const drained = (async () => {
    while (!(await lines.read()).done) { /* keep the pipe flowing */ }
  })();
  return {
    url,
    api: async (method: string, path: string, options: { body?: unknown; token?: string } = {}) => {
      const response = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      return { status: response.status, body: await response.json() };
    },
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await drained;
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

Deno.test({
  name: "two Vestibule processes on one PostgreSQL: logout-all on A refuses the token on B",
  ignore: !onPostgres,
  fn: async () => {
    const database = await createTestDatabase();
    const env = { DATABASE_URL: database.url, JWT_SECRET: "one secret for both processes, long" };
    const a = await startProcess(env);
    const b = await startProcess(env);
    try {
      const registered = await a.api("POST", "/auth/register", {
        body: { email: "two@example.com", password: "secure123", name: "Two" },
      });
      assert.equal(registered.status, 201);
      const token = registered.body.access_token;
      // B serves the profile, and keeps the session in its live-session cache.
      for (let i = 0; i < 2; i++) {
        assert.equal((await b.api("GET", "/users/me", { token })).status, 200);
      }
      assert.equal((await a.api("POST", "/users/me/logout-all", { token })).status, 200);
      // The notification reaches B's listening connection before A answers, so B normally
      // refuses the very next request. On a loaded machine B's event loop may take that request
      // and the notification in one turn, and serve the request first: B then refuses the one
      // after. Either way it refuses within a few requests, never serving the token again.
      let refusedAt = 0;
      for (let attempt = 1; attempt <= 20 && refusedAt === 0; attempt++) {
        const status = (await b.api("GET", "/users/me", { token })).status;
        if (status === 401) refusedAt = attempt;
        else await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.ok(refusedAt > 0, "B kept serving the token after logout-all on A");
      for (let i = 0; i < 3; i++) {
        assert.equal((await b.api("GET", "/users/me", { token })).status, 401);
      }
    } finally {
      await a.stop();
      await b.stop();
      await database.drop();
    }
  },
});
