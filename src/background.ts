import type { Logger } from "./log.ts";

/**
 * Work started after a request has been answered (a mail nudge, the deferred half of a password
 * reset). Tracked so shutdown can wait for it instead of closing the database under it.
 */
export class Background {
  readonly #running = new Set<Promise<void>>();
  readonly #log: Logger;
  #closed = false;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Runs `task` on a later tick; its failure is logged, never thrown at a caller. */
  run(name: string, task: () => Promise<unknown>): void {
    if (this.#closed) return;
    const promise: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, 0))
      .then(task)
      .then(() => {}, (error) => this.#log.error({ msg: `${name} failed`, error: String(error) }))
      .finally(() => this.#running.delete(promise));
    this.#running.add(promise);
  }

  /** Waits until nothing is running (new work may start later). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  /** Refuses new work and waits for what is running. */
  async drain(): Promise<void> {
    this.#closed = true;
    while (this.#running.size > 0) await Promise.all(this.#running);
  }
}

/**
 * Runs of one piece of work (a delivery pass) in this process, one after another and never two at
 * once; `nudge()` asks for one more run soon, and nudges that arrive before it starts share it.
 */
export class SerialRuns<T> {
  #queue: Promise<unknown> = Promise.resolve();
  #pendingNudge = false;

  constructor(
    private readonly name: string,
    private readonly background: Background,
    private readonly work: () => Promise<T>,
  ) {}

  /** Runs the work after the run in progress (if any) and resolves with its result. */
  run(): Promise<T> {
    const next = this.#queue.catch(() => {}).then(this.work);
    this.#queue = next;
    return next;
  }

  /** Asks for a run soon, on a later tick, after the current one; failures are logged. */
  nudge(): void {
    if (this.#pendingNudge) return;
    this.#pendingNudge = true;
    this.background.run(this.name, () => {
      this.#pendingNudge = false;
      return this.run();
    });
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    await this.#queue.catch(() => {});
  }
}
