/// <reference lib="deno.worker" />
/**
 * A pooled Worker for `tests/worker_pool_test.ts`: answers each request with what it was given and
 * how many messages this Worker has received so far (a request through the shared-memory channel
 * adds none), after `sleepMs` if asked; or with an answer of `answerBytes` characters, or a crash.
 */
import { serveRequests } from "../../src/worker_channel.ts";

export type EchoRequest = {
  echo?: unknown;
  answerBytes?: number;
  crash?: boolean;
  sleepMs?: number;
};
export type EchoResponse = { echo?: unknown; messages: number; filler?: string };

let messages = 0;
self.addEventListener("message", () => messages++);

serveRequests((request: EchoRequest): EchoResponse => {
  if (request.crash) throw new Error("crashed on purpose");
  if (request.sleepMs) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, request.sleepMs);
  }
  const answer: EchoResponse = { echo: request.echo, messages };
  if (request.answerBytes !== undefined) answer.filler = "a".repeat(request.answerBytes);
  return answer;
});
