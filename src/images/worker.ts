/// <reference lib="deno.worker" />
import { Image } from "imagescript";
import { ImageRejected, processImage } from "./process.ts";
import { lowerThreadPriority } from "../thread_priority.ts";
import type { WorkerMessage } from "../worker_pool.ts";

/** A request to the image worker and its answer. */
export type WorkerRequest = { bytes: Uint8Array };
export type WorkerResponse = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

lowerThreadPriority();

self.onmessage = async (event: MessageEvent<{ id: number; request: WorkerRequest }>) => {
  const { id, request } = event.data;
  try {
    const bytes = await processImage(request.bytes);
    const response: WorkerResponse = { ok: true, bytes };
    self.postMessage({ id, response } satisfies WorkerMessage<WorkerResponse>, [
      bytes.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    const reason = error instanceof ImageRejected ? error.reason : "undecodable";
    self.postMessage(
      { id, response: { ok: false, reason } } satisfies WorkerMessage<WorkerResponse>,
    );
  }
};

// Warm up (imagescript compiles its codecs on first use), then announce: from now on a task's
// time is its own, not the worker's start-up.
const warmUp = new Image(2, 2);
await processImage(await warmUp.encode());
await processImage(await warmUp.encodeJPEG());
await processImage(await warmUp.encodeWEBP(50));
self.postMessage({ ready: true } satisfies WorkerMessage<WorkerResponse>);
