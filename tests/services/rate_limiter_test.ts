import assert from "node:assert/strict";
import { DomainError } from "../../src/services/errors.ts";
import { MemoryRateLimitStore, RateLimiter } from "../../src/services/rate_limiter.ts";

Deno.test("RateLimiter.consume() refuses past the limit until the window resets", async () => {
  const limiter = new RateLimiter();
  const rule = { limit: 2, windowSeconds: 60 };
  const t0 = new Date("2026-11-23T10:00:00Z");
  await limiter.consume("k", rule, t0);
  await limiter.consume("k", rule, t0);
  await assert.rejects(
    limiter.consume("k", rule, new Date(t0.getTime() + 20_000)),
    (e: unknown) => {
      assert.ok(e instanceof DomainError);
      assert.equal(e.status, 429);
      assert.equal(e.retryAfterSeconds, 40);
      return true;
    },
  );
  await limiter.consume("other", rule, t0);
  await limiter.consume("k", rule, new Date(t0.getTime() + 60_000));
});

Deno.test("RateLimiter.check() refuses only once record() filled the window; reset() forgets", async () => {
  const limiter = new RateLimiter();
  const rule = { limit: 1, windowSeconds: 60 };
  const t0 = new Date("2026-11-23T10:00:00Z");
  assert.deepEqual(await limiter.check([{ key: "k", rule }], t0), [0]);
  await limiter.record("k", rule, t0);
  await assert.rejects(limiter.check([{ key: "k", rule }], t0), DomainError);
  await limiter.reset("k");
  assert.deepEqual(await limiter.check([{ key: "k", rule }], t0), [0]);
});

Deno.test("RateLimiter.check() of several keys returns each count and waits for the latest full one", async () => {
  const limiter = new RateLimiter();
  const short = { limit: 2, windowSeconds: 60 };
  const long = { limit: 3, windowSeconds: 3600 };
  const t0 = new Date("2026-11-23T10:00:00Z");
  await limiter.record("a", short, t0);
  await limiter.record("b", long, t0);
  await limiter.record("b", long, t0);
  const both = [{ key: "a", rule: short }, { key: "b", rule: long }, { key: "c", rule: short }];
  assert.deepEqual(await limiter.check(both, t0), [1, 2, 0]);
  await limiter.record("a", short, t0);
  const retryAfter = async () => {
    const error = await limiter.check(both, t0).catch((e) => e);
    assert.ok(error instanceof DomainError);
    return error.retryAfterSeconds;
  };
  assert.equal(await retryAfter(), 60, "only the short window is full");
  await limiter.record("b", long, t0);
  assert.equal(await retryAfter(), 3600, "both full: the later reset");
});

Deno.test("MemoryRateLimitStore starts a new window once the old one ended", async () => {
  const store = new MemoryRateLimitStore();
  assert.deepEqual(await store.increment("k", 1000, 0), { count: 1, resetAt: 1000 });
  assert.deepEqual(await store.increment("k", 1000, 999), { count: 2, resetAt: 1000 });
  assert.deepEqual(await store.get(["k", "x"], 999), [{ count: 2, resetAt: 1000 }, undefined]);
  assert.deepEqual(await store.get(["k"], 1000), [undefined]);
  assert.deepEqual(await store.increment("k", 1000, 1000), { count: 1, resetAt: 2000 });
  await store.delete("k");
  assert.deepEqual(await store.get(["k"], 1000), [undefined]);
});
