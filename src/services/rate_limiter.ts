import type { RateLimitRule } from "../config.ts";
import { DomainError } from "./errors.ts";

/** One fixed window: how many events it has counted and when (epoch ms) it ends. */
export interface RateLimitWindow {
  count: number;
  resetAt: number;
}

/**
 * Where the counters live. Each method is one atomic step, so a database-backed store can answer
 * each with a single statement (an upsert returning the row, a select, a delete) and several
 * instances sharing it count together. The rules (which keys, which limits) stay in the services.
 */
export interface RateLimitStore {
  /**
   * Adds one to `key`'s window, first starting a new window of `windowMs` when there is none or it
   * ended at or before `now`; returns the window after the increment.
   */
  increment(key: string, windowMs: number, now: number): Promise<RateLimitWindow>;
  /** The window of each key that is still running at `now` (undefined for the others), in order. */
  get(keys: readonly string[], now: number): Promise<(RateLimitWindow | undefined)[]>;
  /** Forgets `key`. */
  delete(key: string): Promise<void>;
}

/**
 * Fixed-window counters held in memory: right for one process (no write per request; a restart
 * forgives everyone, which is acceptable for abuse limits). Ended windows are swept every 10,000
 * increments, so memory stays bounded by the keys of one window.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, RateLimitWindow>();
  #hitsSinceSweep = 0;

  increment(key: string, windowMs: number, now: number): Promise<RateLimitWindow> {
    this.#sweep(now);
    let window = this.#windows.get(key);
    if (window === undefined || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.#windows.set(key, window);
    }
    window.count++;
    return Promise.resolve({ ...window });
  }

  get(keys: readonly string[], now: number): Promise<(RateLimitWindow | undefined)[]> {
    return Promise.resolve(keys.map((key) => {
      const window = this.#windows.get(key);
      return window && window.resetAt > now ? { ...window } : undefined;
    }));
  }

  delete(key: string): Promise<void> {
    this.#windows.delete(key);
    return Promise.resolve();
  }

  #sweep(now: number): void {
    if (++this.#hitsSinceSweep < 10_000) return;
    this.#hitsSinceSweep = 0;
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
  }
}

/**
 * Fixed-window rate limits over a `RateLimitStore` (in memory unless another store is given).
 * Every method is one store call, so each step is atomic in the store. `consume` counts and
 * decides in that one step; `check` and a later `record` are two, so attempts already in flight
 * when a limit fills may still finish (each one costs Argon2's time, and every sign-in attempt
 * also passes the per-address `consume`).
 */
export class RateLimiter {
  readonly store: RateLimitStore;

  constructor(store: RateLimitStore = new MemoryRateLimitStore()) {
    this.store = store;
  }

  /**
   * Counts one event against `key` and refuses it once the window holds more than `rule.limit`
   * events (refused events count too; they change nothing but the count of a full window).
   * @throws {DomainError} `RATE_LIMITED` with the seconds until the window resets
   */
  async consume(key: string, rule: RateLimitRule, now: Date): Promise<void> {
    const at = now.getTime();
    const window = await this.store.increment(key, rule.windowSeconds * 1000, at);
    if (window.count > rule.limit) throw rateLimited(window, at);
  }

  /**
   * Refuses when any of `limits` has already reached its limit, without counting anything; pair
   * with `record` to limit only some outcomes (failed sign-ins, for example). When several are
   * full, `Retry-After` is the latest of their resets, so a client that waits as told is not
   * refused again at once. Returns what each key has counted in its running window (0 without
   * one), in order. One store read for all of them.
   * @throws {DomainError} `RATE_LIMITED`
   */
  async check(
    limits: readonly { key: string; rule: RateLimitRule }[],
    now: Date,
  ): Promise<number[]> {
    const at = now.getTime();
    const windows = await this.store.get(limits.map((limit) => limit.key), at);
    const full = windows.filter((window, i): window is RateLimitWindow =>
      window !== undefined && window.count >= limits[i].rule.limit
    );
    if (full.length > 0) {
      throw rateLimited(full.reduce((a, b) => (b.resetAt > a.resetAt ? b : a)), at);
    }
    return windows.map((window) => window?.count ?? 0);
  }

  /** Counts one event against `key` without refusing. */
  async record(key: string, rule: RateLimitRule, now: Date): Promise<void> {
    await this.store.increment(key, rule.windowSeconds * 1000, now.getTime());
  }

  /** Forgets `key`, as after a successful sign-in. */
  async reset(key: string): Promise<void> {
    await this.store.delete(key);
  }
}

function rateLimited(window: RateLimitWindow, now: number): DomainError {
  return new DomainError("RATE_LIMITED", undefined, {
    retryAfterSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)),
  });
}
