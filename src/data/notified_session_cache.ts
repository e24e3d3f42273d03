import pg from "pg";
import { type CachedSessionRow, SessionRowCache } from "./live_session_cache.ts";

/** The channel the `users` and `sessions` triggers notify (migration 2026_12_02_0005). */
export const LIVE_SESSIONS_CHANNEL = "vestibule_live_sessions";

const RECONNECT_MS = 1000;
const SYNC_TIMEOUT_MS = 5000;

/**
 * The live-session cache on PostgreSQL, shared by nothing: each instance keeps its own, and learns
 * of every change from the database itself. Triggers on `users` and `sessions` send
 * `NOTIFY vestibule_live_sessions, '<table>:<id>'` for each updated or deleted row, delivered at
 * commit to every instance's `LISTEN` connection (whichever instance, CLI or Worker wrote), which
 * drops the rows concerned.
 *
 * - Until its connection listens, and whenever it is lost, the cache answers nothing (every
 *   request reads the database) and is emptied; it reconnects after a second, and empties itself
 *   again once listening, since changes in between were missed.
 * - A notification arrives a moment after its commit. `sync()` closes that gap for this instance's
 *   own writes: it sends a notification of its own and waits for it to come back, after every
 *   notification committed before it (PostgreSQL delivers them in commit order).
 *   `writeTransaction` calls it after each commit, so a revocation answered by this instance is
 *   in force for its next request; other instances see it once the notification reaches them.
 */
export class NotifiedSessionCache<Row extends CachedSessionRow> extends SessionRowCache<Row> {
  readonly #url: string;
  #client: pg.Client | undefined;
  #listening = false;
  #closed = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  readonly #fences = new Map<string, () => void>();

  constructor(url: string, options: { maxEntries?: number } = {}) {
    super(options);
    this.#url = url;
    this.#connect();
  }

  protected override usable(): boolean {
    return this.#listening;
  }

  /** Whether the cache is listening (and so may answer). */
  get listening(): boolean {
    return this.#listening;
  }

  #connect(): void {
    if (this.#closed) return;
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: "vestibule-live-sessions",
    });
    this.#client = client;
    client.on("notification", (message) => this.#notified(message.payload ?? ""));
    const lost = () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#listening = false;
      this.clear();
      this.#releaseFences();
      client.end().catch(() => {});
      if (!this.#closed) this.#retry = setTimeout(() => this.#connect(), RECONNECT_MS);
    };
    client.on("error", lost);
    client.on("end", lost);
    client.connect()
      .then(() => client.query(`LISTEN ${LIVE_SESSIONS_CHANNEL}`))
      .then(() => {
        if (this.#client !== client) return;
        this.clear(); // whatever was read before listening may have changed unseen
        this.#listening = true;
      })
      .catch(lost);
  }

  #notified(payload: string): void {
    const colon = payload.indexOf(":");
    const kind = payload.slice(0, colon);
    const id = payload.slice(colon + 1);
    if (kind === "users") this.dropUser(id);
    else if (kind === "sessions") this.dropSession(id);
    else if (kind === "fence") this.#fences.get(id)?.();
  }

  #releaseFences(): void {
    for (const release of this.#fences.values()) release();
    this.#fences.clear();
  }

  override async sync(): Promise<void> {
    const client = this.#client;
    if (!this.#listening || client === undefined) return; // answering nothing: nothing to sync
    const id = crypto.randomUUID();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arrived = new Promise<void>((resolve) => {
      this.#fences.set(id, resolve);
      timer = setTimeout(() => {
        this.clear(); // the listener is late: forget everything rather than wait longer
        resolve();
      }, SYNC_TIMEOUT_MS);
    });
    try {
      await client.query("SELECT pg_notify($1, $2)", [LIVE_SESSIONS_CHANNEL, `fence:${id}`]);
      await arrived;
    } catch {
      this.clear();
    } finally {
      clearTimeout(timer);
      this.#fences.delete(id);
    }
  }

  override async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#listening = false;
    this.#releaseFences();
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }
}
