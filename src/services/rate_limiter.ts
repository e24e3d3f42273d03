import type { RateLimitRule } from "../config.ts";
import { DomainError } from "./errors.ts";

interface Window {
  count: number;
  resetAt: number;
}

/**
 * Fixed-window counters held in memory. Vestibule is one process, so memory is the right place:
 * no write per request, and a restart forgives everyone, which is acceptable for abuse limits.
 */
export class RateLimiter {
  readonly #windows = new Map<string, Window>();
  #hitsSinceSweep = 0;

  #current(key: string, rule: RateLimitRule, now: number): Window {
    let window = this.#windows.get(key);
    if (window === undefined || window.resetAt <= now) {
      window = { count: 0, resetAt: now + rule.windowSeconds * 1000 };
      this.#windows.set(key, window);
    }
    return window;
  }

  #sweep(now: number): void {
    if (++this.#hitsSinceSweep < 10_000) return;
    this.#hitsSinceSweep = 0;
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
  }

  /**
   * Counts one event against `key` and refuses it once the window is full.
   * @throws {DomainError} `RATE_LIMITED` with the seconds until the window resets
   */
  consume(key: string, rule: RateLimitRule, now: Date): void {
    const at = now.getTime();
    this.#sweep(at);
    const window = this.#current(key, rule, at);
    if (window.count >= rule.limit) throw rateLimited(window, at);
    window.count++;
  }

  /**
   * Refuses when `key` has already reached its limit, without counting anything; pair with `record`
   * to limit only some outcomes (failed sign-ins, for example).
   * @throws {DomainError} `RATE_LIMITED`
   */
  check(key: string, rule: RateLimitRule, now: Date): void {
    const window = this.#windows.get(key);
    const at = now.getTime();
    if (window !== undefined && window.resetAt > at && window.count >= rule.limit) {
      throw rateLimited(window, at);
    }
  }

  /** Counts one event against `key` without refusing. */
  record(key: string, rule: RateLimitRule, now: Date): void {
    this.#current(key, rule, now.getTime()).count++;
  }

  /** Forgets `key`, as after a successful sign-in. */
  reset(key: string): void {
    this.#windows.delete(key);
  }
}

function rateLimited(window: Window, now: number): DomainError {
  return new DomainError("RATE_LIMITED", undefined, {
    retryAfterSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)),
  });
}
