/// <reference lib="deno.worker" />
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { serveRequests } from "../worker_channel.ts";
import { openSqliteConnection } from "./database.ts";

/** A batch for the commit worker: statements to run, in order, in one transaction. */
export interface CommitRequest {
  file: string;
  statements: { sql: string; parameters: readonly unknown[] }[];
}

/** That the batch committed, or why it was rolled back. */
export type CommitResponse = { ok: true } | { ok: false; message: string };

let connection: DatabaseSync | undefined;
/** Prepared statements by SQL text: a sign-in's batch is the same three statements each time. */
const prepared = new Map<string, StatementSync>();
const MAX_PREPARED = 64;

function statement(db: DatabaseSync, sql: string): StatementSync {
  let found = prepared.get(sql);
  if (found === undefined) {
    if (prepared.size >= MAX_PREPARED) prepared.delete(prepared.keys().next().value!);
    prepared.set(sql, found = db.prepare(sql));
  }
  return found;
}

/**
 * Runs one batch in a transaction on this Worker's own connection, opened like the server's
 * (`synchronous=FULL`, and `BEGIN IMMEDIATE`): all of it commits, or none of it. The write lock
 * is taken at `BEGIN` and held only while this thread runs the batch: it never waits on the
 * event loop, so a writer on the serving thread waits at most one batch. The statements run on
 * `node:sqlite` directly: they were compiled by the caller's Kysely handle.
 */
function commit(request: CommitRequest): CommitResponse {
  try {
    // A CommitThread's Worker serves one file.
    const db = connection ??= openSqliteConnection(request.file);
    db.exec("begin immediate");
    try {
      for (const { sql, parameters } of request.statements) {
        statement(db, sql).run(...parameters as SQLInputValue[]);
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

serveRequests(commit);
