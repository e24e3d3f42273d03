/** A source of the current time, injected so tests can move it instead of sleeping. */
export interface Clock {
  now(): Date;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock that stands still until moved: `advance()` moves it forward by milliseconds.
 *
 * @example
 * const clock = manualClock(new Date("2026-01-01T00:00:00Z"));
 * clock.advance(15 * 60_000);
 */
export function manualClock(
  start: Date,
): Clock & { advance(ms: number): void; set(at: Date): void } {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
    set: (at) => {
      current = at.getTime();
    },
  };
}
