/// <reference lib="deno.worker" />
import { ImageRejected, processImage } from "./process.ts";

/** A request to the image worker and its answer. */
export type WorkerRequest = { id: number; bytes: Uint8Array };
export type WorkerResponse =
  | { ready: true }
  | { id: number; ok: true; bytes: Uint8Array }
  | { id: number; ok: false; reason: string };

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const { id, bytes } = event.data;
  try {
    const out = await processImage(bytes);
    self.postMessage({ id, ok: true, bytes: out } satisfies WorkerResponse, [
      out.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    const reason = error instanceof ImageRejected ? error.reason : "undecodable";
    self.postMessage({ id, ok: false, reason } satisfies WorkerResponse);
  }
};

// Modules are loaded: from now on a task's time is its own, not the worker's start-up.
self.postMessage({ ready: true } satisfies WorkerResponse);
