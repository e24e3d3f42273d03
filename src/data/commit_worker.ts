/// <reference lib="deno.worker" />
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { WorkerMessage } from "../worker_pool.ts";
import { configureConnection } from "./database.ts";

type Param = null | number | bigint | string | Uint8Array;

/** A batch for the commit worker: statements to run, in order, in one transaction. */
export interface CommitRequest {
  file: string;
  statements: { sql: string; parameters: readonly unknown[] }[];
}

/** What each statement gave (Kysely's `QueryResult`), or why the batch was rolled back. */
export type CommitResponse =
  | { ok: true; results: { rows: unknown[]; numAffectedRows?: bigint; insertId?: bigint }[] }
  | { ok: false; message: string };

let connection: DatabaseSync | undefined;
const statements = new Map<string, StatementSync>();

function open(file: string): DatabaseSync {
  const db = new DatabaseSync(file);
  configureConnection(db);
  return db;
}

function prepare(db: DatabaseSync, sql: string): StatementSync {
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    if (statements.size >= 64) statements.delete(statements.keys().next().value!);
    statements.set(sql, statement);
  }
  return statement;
}

/**
 * Runs one batch between `BEGIN IMMEDIATE` and `COMMIT` on this Worker's own connection (same
 * pragmas as the server's, `synchronous=FULL` included): all of it commits, or none of it.
 * The write lock is taken at `BEGIN` and held only while this thread runs the batch: it never
 * waits on the event loop, so a writer on the serving thread waits at most one batch.
 */
function commit(request: CommitRequest): CommitResponse {
  const db = connection ??= open(request.file); // a CommitThread's Worker serves one file
  try {
    db.exec("BEGIN IMMEDIATE");
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  try {
    const results = request.statements.map(({ sql, parameters }) => {
      const statement = prepare(db, sql);
      const params = parameters as Param[];
      if (statement.columns().length > 0) return { rows: statement.all(...params) };
      const { changes, lastInsertRowid } = statement.run(...params);
      return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
    });
    db.exec("COMMIT");
    return { ok: true, results };
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    return { ok: false, message: (error as Error).message };
  }
}

self.onmessage = (event: MessageEvent<{ id: number; request: CommitRequest }>) => {
  const { id, request } = event.data;
  self.postMessage({ id, response: commit(request) } satisfies WorkerMessage<CommitResponse>);
};
self.postMessage({ ready: true } satisfies WorkerMessage<CommitResponse>);
