import { type Compilable, CompiledQuery, type QueryResult } from "kysely";
import { databaseFileOf, type Db } from "./database.ts";
import { isPostgres } from "./dialect.ts";
import { workerPool } from "../worker_pool.ts";
import type { CommitRequest, CommitResponse } from "./commit_worker.ts";

/** Commits whole batches of statements away from the event loop. */
export interface CommitThread {
  /**
   * Runs `statements` in order in one transaction and returns what each gave: all of them
   * commit, or none does and the promise rejects with SQLite's error.
   */
  commit(statements: readonly Compilable[]): Promise<QueryResult<unknown>[]>;
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
  });
  return {
    async commit(statements) {
      const response = await pool.run({
        file,
        statements: statements.map((statement) => {
          const { sql, parameters } = statement.compile();
          return { sql, parameters };
        }),
      });
      if (!response.ok) throw new Error(response.message);
      return response.results;
    },
    close: () => pool.close(),
  };
}

/**
 * The batch committer for a database handle: on SQLite a `commitThread` on the handle's file; on
 * PostgreSQL, whose commits never block the event loop, the batch runs in one transaction on the
 * handle's own pool.
 */
export function commitThreadFor(db: Db): CommitThread {
  if (isPostgres(db)) {
    return {
      commit: (statements) =>
        db.transaction().execute(async (trx) => {
          const results: QueryResult<unknown>[] = [];
          for (const statement of statements) {
            const { sql, parameters } = statement.compile();
            results.push(await trx.executeQuery(CompiledQuery.raw(sql, [...parameters])));
          }
          return results;
        }),
      close: () => {},
    };
  }
  const file = databaseFileOf(db);
  if (file === undefined) throw new Error("the database must be a file opened by openDatabase()");
  return commitThread(file);
}
