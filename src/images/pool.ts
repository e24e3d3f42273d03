import { ImageRejected } from "./process.ts";
import type { ImageFailure } from "./process.ts";
import type { WorkerRequest, WorkerResponse } from "./worker.ts";
import { workerPool } from "../worker_pool.ts";

/** Processes pictures off the request thread. */
export interface ImageProcessor {
  /**
   * The stored JPEG for an uploaded picture.
   * @throws {ImageRejected} for a refused image; {ImageTimeout} when it takes too long
   */
  process(bytes: Uint8Array): Promise<Uint8Array>;
  close(): void;
}

/** Processing took longer than the pool allows; the worker doing it was replaced. */
export class ImageTimeout extends Error {
  constructor() {
    super("Image processing took too long");
  }
}

/**
 * A small pool of Web Workers (one fewer than cores by default, at least one) running
 * `processImage`, so decoding and resizing never block the event loop that serves requests. A
 * task past `timeoutMs` is abandoned: its worker is terminated and replaced.
 */
export function imageWorkerPool(options: { size?: number; timeoutMs: number }): ImageProcessor {
  const pool = workerPool<WorkerRequest, WorkerResponse>({
    url: new URL("./worker.ts", import.meta.url),
    size: options.size ?? (navigator.hardwareConcurrency ?? 2) - 1,
    timeoutMs: options.timeoutMs,
    timeoutError: () => new ImageTimeout(),
    crashError: () => new ImageRejected("undecodable"),
  });
  return {
    process: async (bytes) => {
      // The buffer is transferred to the worker: hand over a copy the caller cannot touch.
      const copy = bytes.slice();
      const response = await pool.run({ bytes: copy }, [copy.buffer as ArrayBuffer]);
      if (response.ok) return response.bytes;
      throw new ImageRejected(response.reason as ImageFailure);
    },
    close: () => pool.close(),
  };
}
