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

let connection: { file: string; sqlite: DatabaseSync } | undefined;
const statements = new Map<string, StatementSync>();

function prepare(sqlite: DatabaseSync, sql: string): StatementSync {
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = sqlite.prepare(sql);
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
  if (connection?.file !== request.file) {
    connection?.sqlite.close();
    statements.clear();
    connection = { file: request.file, sqlite: new DatabaseSync(request.file) };
    configureConnection(connection.sqlite);
  }
  const { sqlite } = connection;
  try {
    sqlite.exec("BEGIN IMMEDIATE");
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  try {
    const results = request.statements.map(({ sql, parameters }) => {
      const statement = prepare(sqlite, sql);
      const params = parameters as Param[];
      if (statement.columns().length > 0) return { rows: statement.all(...params) };
      const { changes, lastInsertRowid } = statement.run(...params);
      return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
    });
    sqlite.exec("COMMIT");
    return { ok: true, results };
  } catch (error) {
    if (sqlite.isTransaction) sqlite.exec("ROLLBACK");
    return { ok: false, message: (error as Error).message };
  }
}

self.onmessage = (event: MessageEvent<{ id: number; request: CommitRequest }>) => {
  const { id, request } = event.data;
  self.postMessage({ id, response: commit(request) } satisfies WorkerMessage<CommitResponse>);
};
self.postMessage({ ready: true } satisfies WorkerMessage<CommitResponse>);
