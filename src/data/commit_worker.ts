/// <reference lib="deno.worker" />
import { CompiledQuery } from "kysely";
import type { WorkerMessage } from "../worker_pool.ts";
import { type Db, openDatabase } from "./database.ts";

/** A batch for the commit worker: statements to run, in order, in one transaction. */
export interface CommitRequest {
  file: string;
  statements: { sql: string; parameters: readonly unknown[] }[];
}

/** That the batch committed, or why it was rolled back. */
export type CommitResponse = { ok: true } | { ok: false; message: string };

let connection: Db | undefined;

/**
 * Runs one batch in a transaction on this Worker's own connection, opened like the server's
 * (`synchronous=FULL`, and `BEGIN IMMEDIATE`): all of it commits, or none of it. The write lock
 * is taken at `BEGIN` and held only while this thread runs the batch: it never waits on the
 * event loop, so a writer on the serving thread waits at most one batch.
 */
async function commit(request: CommitRequest): Promise<CommitResponse> {
  const db = connection ??= openDatabase(request.file); // a CommitThread's Worker serves one file
  try {
    await db.transaction().execute(async (trx) => {
      for (const { sql, parameters } of request.statements) {
        await trx.executeQuery(CompiledQuery.raw(sql, [...parameters]));
      }
    });
    return { ok: true };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

self.onmessage = async (event: MessageEvent<{ id: number; request: CommitRequest }>) => {
  const { id, request } = event.data;
  self.postMessage({ id, response: await commit(request) } satisfies WorkerMessage<CommitResponse>);
};
self.postMessage({ ready: true } satisfies WorkerMessage<CommitResponse>);
