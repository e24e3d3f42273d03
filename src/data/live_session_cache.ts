import type { DatabaseSync, StatementSync } from "node:sqlite";

/** A cached row: whatever the live-session read returned, plus when the session expires. */
export interface CachedSessionRow {
  id: string;
  session_expires_at: string;
}

/**
 * The rows of the live-session read (`findLiveSessionUser`), kept in memory so that the read
 * behind every authenticated request usually costs a map lookup instead of a database read. What
 * tells it of changes depends on the database (`LiveSessionCache` for SQLite,
 * `NotifiedSessionCache` for PostgreSQL); this base keeps the rows:
 *
 * - Races: a row read before a change must not be stored after it, so `set` takes the `epoch`
 *   seen before the read and stores nothing if a change has happened since.
 * - Each `get` drops rows whose session has expired.
 *
 * Dropping an entry for a write that is later rolled back costs one read, nothing more. Rows are
 * shared between requests: callers must not modify them.
 */
export class SessionRowCache<Row extends CachedSessionRow> {
  readonly #rows = new Map<string, Row>();
  readonly #sessionsOfUser = new Map<string, Set<string>>();
  readonly #maxEntries: number;
  #epoch = 0;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** Changes whenever a row may have been dropped; pass the value seen before a read to `set`. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Whether the cache may answer now; a source that has lost track of changes says no. */
  protected usable(): boolean {
    return true;
  }

  /** The cached row of a session that has not expired at `now` (ISO 8601), if any. */
  get(sessionId: string, now: string): Row | undefined {
    if (!this.usable()) return undefined;
    const row = this.#rows.get(sessionId);
    if (row === undefined || row.session_expires_at > now) return row;
    this.#remove(sessionId);
    return undefined;
  }

  /** Stores a row read while `epoch` was current, unless something changed since. */
  set(sessionId: string, row: Row, epoch: number): void {
    if (epoch !== this.#epoch || !this.usable()) return;
    this.#remove(sessionId);
    if (this.#rows.size >= this.#maxEntries) this.#remove(this.#rows.keys().next().value!);
    this.#rows.set(sessionId, row);
    const sessions = this.#sessionsOfUser.get(row.id);
    if (sessions === undefined) this.#sessionsOfUser.set(row.id, new Set([sessionId]));
    else sessions.add(sessionId);
  }

  /**
   * Resolves once every change committed before the call, by any connection, has reached this
   * cache. Immediate where changes are seen synchronously (SQLite).
   */
  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** Stops whatever the cache listens with. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Drops every row. */
  protected clear(): void {
    this.#epoch++;
    this.#rows.clear();
    this.#sessionsOfUser.clear();
  }

  /** Drops one session's row. */
  protected dropSession(sessionId: string): void {
    this.#epoch++;
    this.#remove(sessionId);
  }

  /** Drops every row of one member. */
  protected dropUser(userId: string): void {
    this.#epoch++;
    for (const sessionId of this.#sessionsOfUser.get(userId) ?? []) this.#rows.delete(sessionId);
    this.#sessionsOfUser.delete(userId);
  }

  /** Forgets a row without marking a change: for replacing and evicting. */
  #remove(sessionId: string): void {
    const row = this.#rows.get(sessionId);
    if (row === undefined) return;
    this.#rows.delete(sessionId);
    const sessions = this.#sessionsOfUser.get(row.id);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.#sessionsOfUser.delete(row.id);
  }
}

/**
 * The live-session cache on SQLite. It never serves a row the database no longer agrees with:
 *
 * - Writes on this connection: temporary triggers (on this connection only, never in the file)
 *   report every updated or deleted `sessions` and `users` row, cascades included, as the
 *   statement runs, and the entries they touch are dropped at once.
 * - Writes by any other connection (the `CommitThread`, the purge's Worker, the CLI): `get` reads
 *   `PRAGMA data_version` when the last reading is `otherConnectionLagMs` old (1 ms by default),
 *   and any change empties the cache. A read transaction is what the cache saves, so this
 *   reading is shared by the requests of the same millisecond: a commit by another connection
 *   reaches every request that starts a millisecond after it.
 */
export class LiveSessionCache<Row extends CachedSessionRow> extends SessionRowCache<Row> {
  readonly #sqlite: DatabaseSync;
  #dataVersion: StatementSync | undefined;
  readonly #otherConnectionLagMs: number;
  #lastDataVersion: unknown;
  #dataVersionReadAt = -Infinity;

  constructor(
    sqlite: DatabaseSync,
    options: { maxEntries?: number; otherConnectionLagMs?: number } = {},
  ) {
    super(options);
    this.#sqlite = sqlite;
    this.#otherConnectionLagMs = options.otherConnectionLagMs ?? 1;
  }

  /**
   * Creates the triggers, on first use rather than at open: the tables exist only once the
   * migrations have run. Nothing is cached before, so nothing can be missed.
   */
  #install(): StatementSync {
    // `directOnly`: a trigger stored in the file could not call it, so other connections never
    // meet a function they do not have.
    this.#sqlite.function(
      "vestibule_row_changed",
      { directOnly: true, deterministic: false },
      (table, id) => {
        if (table === "users") this.dropUser(String(id));
        else this.dropSession(String(id));
        return null;
      },
    );
    for (const table of ["users", "sessions"]) {
      for (const event of ["UPDATE", "DELETE"]) {
        this.#sqlite.exec(`
          CREATE TEMP TRIGGER IF NOT EXISTS vestibule_${table}_${event.toLowerCase()}
          AFTER ${event} ON main.${table}
          BEGIN SELECT vestibule_row_changed('${table}', OLD.id); END`);
      }
    }
    const dataVersion = this.#sqlite.prepare("PRAGMA data_version");
    this.#lastDataVersion = (dataVersion.get() as { data_version: unknown }).data_version;
    return dataVersion;
  }

  protected override usable(): boolean {
    const readAt = performance.now();
    if (readAt - this.#dataVersionReadAt >= this.#otherConnectionLagMs) {
      this.#dataVersionReadAt = readAt;
      this.#dataVersion ??= this.#install();
      const dataVersion = (this.#dataVersion.get() as { data_version: unknown }).data_version;
      if (dataVersion !== this.#lastDataVersion) {
        this.#lastDataVersion = dataVersion;
        this.clear();
        return false;
      }
    }
    return true;
  }
}

const caches = new WeakMap<object, SessionRowCache<CachedSessionRow>>();

/** Gives a database handle (the `Kysely` instance, not a transaction) its cache. */
export function attachLiveSessionCache(
  db: object,
  cache: DatabaseSync | SessionRowCache<CachedSessionRow>,
): void {
  caches.set(db, cache instanceof SessionRowCache ? cache : new LiveSessionCache(cache));
}

/**
 * The cache of a handle made by `openDatabase` or `openConfiguredDatabase`; undefined for
 * transactions and other handles.
 */
export function liveSessionCacheOf<Row extends CachedSessionRow>(
  db: object,
): SessionRowCache<Row> | undefined {
  return caches.get(db) as SessionRowCache<Row> | undefined;
}
