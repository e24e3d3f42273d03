import { ImageRejected } from "./process.ts";
import type { ImageFailure } from "./process.ts";
import type { WorkerResponse } from "./worker.ts";

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

interface Task {
  id: number;
  bytes: Uint8Array;
  resolve(bytes: Uint8Array): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  /** False until the worker has loaded its modules; tasks wait for a ready worker. */
  ready: boolean;
  task: Task | null;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * A small pool of Web Workers (one per core by default) running `processImage`, so decoding and
 * resizing never block the event loop that serves requests. Workers start on first use, and a
 * task's clock starts only once a worker has loaded its modules. A task past `timeoutMs` is
 * abandoned: its worker is terminated and replaced.
 */
export function imageWorkerPool(options: { size?: number; timeoutMs: number }): ImageProcessor {
  const size = Math.max(1, options.size ?? (navigator.hardwareConcurrency ?? 2) - 1);
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const slot: Slot = {
      worker: new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" }),
      ready: false,
      task: null,
    };
    slot.worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      if ("ready" in event.data) {
        slot.ready = true;
        pump();
      } else finish(slot, event.data);
    };
    slot.worker.onerror = (event) => {
      event.preventDefault();
      replace(slot, new ImageRejected("undecodable"));
    };
    return slot;
  }

  function finish(slot: Slot, response: Exclude<WorkerResponse, { ready: true }>): void {
    const task = slot.task;
    if (task === null || task.id !== response.id) return;
    clearTimeout(slot.timer);
    slot.task = null;
    if (response.ok) task.resolve(response.bytes);
    else task.reject(new ImageRejected(response.reason as ImageFailure));
    pump();
  }

  function replace(slot: Slot, error: Error): void {
    clearTimeout(slot.timer);
    slot.worker.terminate();
    const task = slot.task;
    slots[slots.indexOf(slot)] = spawn();
    task?.reject(error);
    pump();
  }

  function pump(): void {
    while (queue.length > 0) {
      const slot = slots.find((s) => s.ready && s.task === null);
      if (slot === undefined) {
        // Start another worker while under the pool size and none is starting already.
        if (slots.length < size && slots.every((s) => s.ready)) slots.push(spawn());
        return;
      }
      const task = queue.shift()!;
      slot.task = task;
      slot.timer = setTimeout(() => replace(slot, new ImageTimeout()), options.timeoutMs);
      slot.worker.postMessage({ id: task.id, bytes: task.bytes }, [
        task.bytes.buffer as ArrayBuffer,
      ]);
    }
  }

  return {
    process: (bytes) =>
      new Promise<Uint8Array>((resolve, reject) => {
        if (closed) return reject(new Error("image pool is closed"));
        // The buffer is transferred to the worker: hand over a copy the caller cannot touch.
        queue.push({ id: nextId++, bytes: bytes.slice(), resolve, reject });
        pump();
      }),
    close: () => {
      closed = true;
      for (const slot of slots) {
        clearTimeout(slot.timer);
        slot.worker.terminate();
        slot.task?.reject(new Error("image pool closed"));
      }
      slots.length = 0;
      for (const task of queue.splice(0)) task.reject(new Error("image pool closed"));
    },
  };
}
