import assert from "node:assert/strict";
import { DomainError } from "../../src/services/errors.ts";
import { RateLimiter } from "../../src/services/rate_limiter.ts";

Deno.test("RateLimiter.consume() refuses past the limit until the window resets", () => {
  const limiter = new RateLimiter();
  const rule = { limit: 2, windowSeconds: 60 };
  const t0 = new Date("2026-11-23T10:00:00Z");
  limiter.consume("k", rule, t0);
  limiter.consume("k", rule, t0);
  assert.throws(() => limiter.consume("k", rule, new Date(t0.getTime() + 20_000)), (e: unknown) => {
    assert.ok(e instanceof DomainError);
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterSeconds, 40);
    return true;
  });
  limiter.consume("other", rule, t0);
  limiter.consume("k", rule, new Date(t0.getTime() + 60_000));
});

Deno.test("RateLimiter.check() refuses only once record() filled the window; reset() forgets", () => {
  const limiter = new RateLimiter();
  const rule = { limit: 1, windowSeconds: 60 };
  const t0 = new Date("2026-11-23T10:00:00Z");
  limiter.check("k", rule, t0);
  limiter.record("k", rule, t0);
  assert.throws(() => limiter.check("k", rule, t0), DomainError);
  limiter.reset("k");
  limiter.check("k", rule, t0);
});
