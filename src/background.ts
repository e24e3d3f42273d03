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
