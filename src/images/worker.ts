/// <reference lib="deno.worker" />
import { Image } from "imagescript";
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

// Warm up (imagescript compiles its codecs on first use), then announce: from now on a task's
// time is its own, not the worker's start-up.
const warmUp = new Image(2, 2);
await processImage(await warmUp.encode());
await processImage(await warmUp.encodeJPEG());
await processImage(await warmUp.encodeWEBP(50));
self.postMessage({ ready: true } satisfies WorkerResponse);
