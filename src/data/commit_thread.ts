import { type Compilable, type OperationNodeSource, sql } from "kysely";
import { databaseFileOf, type Db } from "./database.ts";
import { isPostgres } from "./dialect.ts";
import { workerPool } from "../worker_pool.ts";
import type { CommitRequest, CommitResponse } from "./commit_worker.ts";

/** A write a batch can hold: a Kysely insert, update or delete builder. */
export type BatchWrite = Compilable & OperationNodeSource;

/** Commits whole batches of writes without holding up the event loop. */
export interface CommitThread {
  /**
   * Runs `writes` as one atomic change: all of them commit, or none does and the promise rejects
   * with the database's error. The writes must not depend on each other's results (on
   * PostgreSQL they run as one statement, against one snapshot); a foreign key from one to a row
   * another inserts is fine, since constraints are checked once all have run.
   */
  commit(writes: readonly BatchWrite[]): Promise<void>;
  /** Stops the Worker. */
  close(): void;
}

/**
 * Commits batches on a Worker's own connection to the SQLite `file`, so that the commit's fsync
 * (`synchronous=FULL`), its WAL writes and the checkpoints it triggers never block the event
 * loop: the fsync alone is about 0.4 ms per commit here, and a commit that checkpoints takes
 * milliseconds. For the writes of hot paths whose statements are known before the transaction
 * starts (a sign-in's session, refresh token and audit event).
 *
 * A batch is sent whole: the Worker holds the write lock only while it runs the batch, never
 * while waiting on this thread, so the two connections cannot deadlock. The statements are
 * compiled by the caller's Kysely handle; each commit is visible to every connection once its
 * promise resolves.
 */
export function commitThread(file: string): CommitThread {
  const pool = workerPool<CommitRequest, CommitResponse>({
    url: new URL("./commit_worker.ts", import.meta.url),
    size: 1,
    crashError: () => new Error("commit worker crashed"),
    sharedMemory: true,
  });
  return {
    async commit(writes) {
      const response = await pool.run({
        file,
        statements: writes.map((write) => {
          const { sql, parameters } = write.compile();
          return { sql, parameters };
        }),
      });
      if (!response.ok) throw new Error(response.message);
    },
    close: () => pool.close(),
  };
}

/**
 * The batch committer for a database handle: on SQLite a `commitThread` on the handle's file; on
 * PostgreSQL, whose commits never block the event loop, `oneStatement` on the handle's own pool.
 */
export function commitThreadFor(db: Db): CommitThread {
  if (isPostgres(db)) {
    return {
      commit: async (writes) => {
        if (writes.length > 0) await oneStatement(writes).execute(db);
      },
      close: () => {},
    };
  }
  const file = databaseFileOf(db);
  if (file === undefined) throw new Error("the database must be a file opened by openDatabase()");
  return commitThread(file);
}

/**
 * A PostgreSQL batch as one statement: each write becomes a data-modifying `WITH` query of a
 * `SELECT 1`. A statement is its own transaction, so the batch commits whole or not at all, in one
 * round trip instead of five for BEGIN, three inserts and COMMIT (a sign-in's batch): each round
 * trip costs the database server CPU that the sign-in's Argon2id would otherwise have.
 */
function oneStatement(writes: readonly BatchWrite[]) {
  const queries = writes.map((write, i) => sql`${sql.id(`w${i}`)} as (${write})`);
  return sql`with ${sql.join(queries)} select 1`;
}
