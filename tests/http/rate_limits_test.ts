import assert from "node:assert/strict";
import {
  MemoryRateLimitStore,
  RateLimiter,
  type RateLimitStore,
} from "../../src/services/rate_limiter.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("rate limits answer 429 with Retry-After", async (t) => {
  const server = await startTestServer({
    TRUST_PROXY: "1",
    RATE_LIMIT_LOGIN_PER_IP: "6/60",
    RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: "3/900",
    RATE_LIMIT_LOGIN_PER_ACCOUNT: "8/3600",
    RATE_LIMIT_REGISTER_PER_IP: "3/7200",
    RATE_LIMIT_REFRESH_PER_IP: "2/60",
  });
  const attacker = "203.0.113.66";
  const login = (email: string, password: string, ip = attacker) =>
    server.api("POST", "/auth/login", {
      body: { email, password },
      headers: { "x-forwarded-for": ip },
    });
  try {
    const victim = await server.register("victim@example.com");

    await t.step(
      "the guessing address is locked out; the owner's address still signs in",
      async () => {
        for (let i = 0; i < 3; i++) {
          assert.equal((await login("victim@example.com", "wrong-pass")).status, 401);
        }
        const locked = await login("victim@example.com", "secure123");
        assert.deepEqual([locked.status, locked.body.detail], [
          429,
          "Too many requests, try again later",
        ]);
        assert.equal(locked.headers.get("retry-after"), "900");
        const owner = await login("victim@example.com", "secure123", "198.51.100.2");
        assert.equal(owner.status, 200, "the owner, on an address that has not been failing");
        assert.equal(
          (await login("nobody@example.com", "wrong-pass")).status,
          401,
          "the attacker's guesses on another account are not refused by this account's lock",
        );
      },
    );

    await t.step("login per IP counts every attempt", async () => {
      // 5 attempts so far from the attacker's address; the 6th is allowed, the 7th refused.
      assert.equal((await login("nobody@example.com", "wrong-pass")).status, 401);
      const res = await login("nobody@example.com", "wrong-pass");
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("retry-after"), "60");
    });

    await t.step(
      "failures from many addresses lock the account at the per-account threshold",
      async () => {
        // 3 failures so far; 5 more from three addresses make 8, the account's limit per hour.
        for (const ip of ["10.0.0.1", "10.0.0.2", "10.0.0.9", "10.0.0.9", "10.0.0.9"]) {
          const res = await login("victim@example.com", "wrong-pass", ip);
          assert.equal(res.status, 401);
        }
        const owner = await login("victim@example.com", "secure123", "198.51.100.3");
        assert.equal(owner.status, 429);
        assert.equal(owner.headers.get("retry-after"), "3600");
        // Both counts full for 10.0.0.9 (its own ends in 900 s): told to wait for the later one.
        const both = await login("victim@example.com", "secure123", "10.0.0.9");
        assert.deepEqual([both.status, both.headers.get("retry-after")], [429, "3600"]);
      },
    );

    await t.step("the windows pass and sign-in works again, from any address", async () => {
      server.clock.advance(3_600_000);
      assert.equal((await login("victim@example.com", "secure123")).status, 200);
    });

    await t.step("a correct password forgets this address's failures on the account", async () => {
      // Three failures from one address lock it (above); two, a success, two more do not.
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 2; i++) {
          assert.equal((await login("victim@example.com", "wrong-pass", "10.1.1.1")).status, 401);
        }
        assert.equal((await login("victim@example.com", "secure123", "10.1.1.1")).status, 200);
      }
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

Deno.test("rate limits go through the RateLimitStore given in the dependencies", async () => {
  const calls: string[] = [];
  const memory = new MemoryRateLimitStore();
  const store: RateLimitStore = {
    increment: (key, windowMs, now) => {
      calls.push(`increment ${key}`);
      return memory.increment(key, windowMs, now);
    },
    get: (keys, now) => {
      calls.push(`get ${keys.join(" and ")}`);
      return memory.get(keys, now);
    },
    delete: (key) => {
      calls.push(`delete ${key}`);
      return memory.delete(key);
    },
  };
  const server = await startTestServer({}, { rateLimiter: new RateLimiter(store) });
  try {
    const { user } = await server.register("store@example.com");
    calls.length = 0;
    const res = await server.api("POST", "/auth/login", {
      body: { email: "store@example.com", password: "wrong-pass" },
    });
    assert.equal(res.status, 401);
    const account = `pw-fail:user:${user.id}`;
    assert.deepEqual(calls, [
      "increment login-ip:127.0.0.1",
      `get ${account}|127.0.0.1 and ${account}`,
      `increment ${account}|127.0.0.1`,
      `increment ${account}`,
    ]);
  } finally {
    await server.close();
  }
});
