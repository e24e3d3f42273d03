import assert from "node:assert/strict";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("rate limits answer 429 with Retry-After", async (t) => {
  const server = await startTestServer({
    RATE_LIMIT_LOGIN_PER_IP: "6/60",
    RATE_LIMIT_LOGIN_PER_ACCOUNT: "3/900",
    RATE_LIMIT_REGISTER_PER_IP: "3/3600",
    RATE_LIMIT_REFRESH_PER_IP: "2/60",
  });
  const login = (email: string, password: string) =>
    server.api("POST", "/auth/login", { body: { email, password } });
  try {
    const victim = await server.register("victim@example.com");

    await t.step("login per account: failures lock the account, not the IP", async () => {
      for (let i = 0; i < 3; i++) {
        assert.equal((await login("victim@example.com", "wrong-pass")).status, 401);
      }
      const locked = await login("victim@example.com", "secure123");
      assert.deepEqual([locked.status, locked.body.detail], [
        429,
        "Too many requests, try again later",
      ]);
      assert.equal(locked.headers.get("retry-after"), "900");
      assert.equal(
        (await login("nobody@example.com", "wrong-pass")).status,
        401,
        "other accounts unaffected",
      );
    });

    await t.step("login per IP counts every attempt", async () => {
      // 5 attempts so far from this IP; the 6th is allowed, the 7th refused.
      assert.equal((await login("nobody@example.com", "wrong-pass")).status, 401);
      const res = await login("nobody@example.com", "wrong-pass");
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("retry-after"), "60");
    });

    await t.step("the window passes and sign-in works again", async () => {
      server.clock.advance(901_000);
      assert.equal((await login("victim@example.com", "secure123")).status, 200);
    });

    await t.step("register per IP", async () => {
      await server.register("r2@example.com");
      await server.register("r3@example.com");
      const res = await server.api("POST", "/auth/register", {
        body: { email: "r4@example.com", password: "secure123" },
      });
      assert.equal(res.status, 429);
      assert.equal(
        await server.deps.db.selectFrom("users").select("id").where("email", "=", "r4@example.com")
          .executeTakeFirst(),
        undefined,
      );
    });

    await t.step("refresh per IP", async () => {
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push(
          (await server.api("POST", "/auth/refresh", {
            body: { refresh_token: victim.refresh_token + i },
          })).status,
        );
      }
      assert.deepEqual(statuses, [401, 401, 429]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("X-Forwarded-For is believed only with TRUST_PROXY", async (t) => {
  for (
    const [trust, expected] of [["false", "127.0.0.1"], ["1", "198.51.100.7"], ["2", "203.0.113.9"]]
  ) {
    await t.step(`TRUST_PROXY=${trust}`, async () => {
      const server = await startTestServer({ TRUST_PROXY: trust });
      try {
        await server.api("POST", "/auth/register", {
          body: { email: "ip@example.com", password: "secure123" },
          headers: { "x-forwarded-for": "10.0.0.1, 203.0.113.9, 198.51.100.7" },
        });
        const session = await server.deps.db.selectFrom("sessions").select("ip_address")
          .executeTakeFirstOrThrow();
        assert.equal(session.ip_address, expected);
      } finally {
        await server.close();
      }
    });
  }
});
