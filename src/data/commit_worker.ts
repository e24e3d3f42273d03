/// <reference lib="deno.worker" />
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { serveRequests } from "../worker_channel.ts";
import { openSqliteConnection } from "./database.ts";
import { preparedBySql } from "./sqlite_dialect.ts";

/** A batch for the commit worker: statements to run, in order, in one transaction. */
export interface CommitRequest {
  file: string;
  statements: { sql: string; parameters: readonly unknown[] }[];
}

/** That the batch committed, or why it was rolled back. */
export type CommitResponse = { ok: true } | { ok: false; message: string };

/** This Worker's connection and its statements: a sign-in's batch is the same three each time. */
let connection: { db: DatabaseSync; statement(sql: string): StatementSync } | undefined;

/**
 * Runs one batch in a transaction on this Worker's own connection, opened like the server's
 * (`synchronous=FULL`, and `BEGIN IMMEDIATE`): all of it commits, or none of it. The write lock
 * is taken at `BEGIN` and held only while this thread runs the batch: it never waits on the
 * event loop, so a writer on the serving thread waits at most one batch. The statements run on
 * `node:sqlite` directly: they were compiled by the caller's Kysely handle.
 */
function commit(request: CommitRequest): CommitResponse {
  try {
    connection ??= connect(request.file); // a CommitThread's Worker serves one file
    const { db, statement } = connection;
    db.exec("begin immediate");
    try {
      for (const { sql, parameters } of request.statements) {
        statement(sql).run(...parameters as SQLInputValue[]);
      }
      db.exec("commit");
    } catch (error) {
      if (db.isTransaction) db.exec("rollback");
      throw error;
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

function connect(file: string) {
  const db = openSqliteConnection(file);
  return { db, statement: preparedBySql(64, (sql) => db.prepare(sql)).get };
}

serveRequests(commit);
