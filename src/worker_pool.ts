import {
  createWorkerChannel,
  openWorkerChannel,
  sendThroughChannel,
  stopWorkerChannel,
  type WorkerChannel,
} from "./worker_channel.ts";

/** What a pooled Worker posts: `{ ready: true }` once loaded, then one answer per request. */
export type WorkerMessage<Response> = { ready: true } | { id: number; response: Response };

/** Runs requests on a small pool of module Workers, off the event loop that serves requests. */
export interface WorkerPool<Request, Response> {
  /** Queues a request; `transfer` lists buffers handed to the Worker (the caller loses them). */
  run(request: Request, transfer?: Transferable[]): Promise<Response>;
  /** Terminates the Workers; queued and running requests fail. */
  close(): void;
}

export interface WorkerPoolOptions {
  /** The Worker module. It answers each `{ id, request }` with `{ id, response }`. */
  url: URL;
  size: number;
  /** A request running longer is abandoned: it fails with `timeoutError()`, its Worker replaced. */
  timeoutMs?: number;
  timeoutError?: () => Error;
  /** The error a request gets when its Worker crashes (the Worker is replaced). */
  crashError: () => Error;
  /**
   * Requests and answers pass through shared memory instead of messages, a third of the CPU per
   * round trip (see `worker_channel.ts`). The Worker module must serve with `serveRequests`, whose
   * answers are synchronous.
   */
  sharedMemory?: boolean;
}

/** Bytes of JSON a channel carries each way; anything larger goes as a message. */
const CHANNEL_BYTES = 64 * 1024;

interface Task<Request, Response> {
  id: number;
  request: Request;
  transfer: Transferable[];
  resolve(response: Response): void;
  reject(error: Error): void;
}

interface Slot<Request, Response> {
  worker: Worker;
  /** With `sharedMemory`: the channel this Worker serves. */
  channel?: WorkerChannel;
  /** False until the Worker has loaded (and warmed up); requests wait for a ready Worker. */
  ready: boolean;
  task: Task<Request, Response> | null;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * A pool of at most `size` Workers. They start on first use, one at a time while requests queue,
 * and a request's time limit starts only once a ready Worker has it. Requests run in arrival
 * order, one per Worker at a time.
 */
export function workerPool<Request, Response>(
  options: WorkerPoolOptions,
): WorkerPool<Request, Response> {
  const size = Math.max(1, options.size);
  const slots: Slot<Request, Response>[] = [];
  const queue: Task<Request, Response>[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot<Request, Response> {
    const slot: Slot<Request, Response> = {
      worker: new Worker(options.url.href, { type: "module" }),
      ready: false,
      task: null,
    };
    if (options.sharedMemory) {
      const buffer = createWorkerChannel(CHANNEL_BYTES);
      slot.channel = openWorkerChannel(buffer);
      slot.worker.postMessage({ channel: buffer });
    }
    slot.worker.onmessage = (event: MessageEvent<WorkerMessage<Response>>) => {
      if ("ready" in event.data) {
        slot.ready = true;
        pump();
      } else finish(slot, event.data.id, event.data.response);
    };
    slot.worker.onerror = (event) => {
      event.preventDefault();
      replace(slot, options.crashError());
    };
    return slot;
  }

  function finish(slot: Slot<Request, Response>, id: number, response: Response): void {
    const task = slot.task;
    // A channel echoes ids as 32-bit integers.
    if (task === null || (task.id | 0) !== (id | 0)) return;
    clearTimeout(slot.timer);
    slot.task = null;
    task.resolve(response);
    pump();
  }

  function stop(slot: Slot<Request, Response>): void {
    clearTimeout(slot.timer);
    if (slot.channel !== undefined) stopWorkerChannel(slot.channel);
    slot.worker.terminate();
  }

  function replace(slot: Slot<Request, Response>, error: Error): void {
    const index = slots.indexOf(slot);
    if (index === -1) return; // replaced already, or the pool is closed
    stop(slot);
    const task = slot.task;
    slot.task = null;
    slots[index] = spawn();
    task?.reject(error);
    pump();
  }

  function pump(): void {
    while (queue.length > 0) {
      const slot = slots.find((s) => s.ready && s.task === null);
      if (slot === undefined) {
        // Start another Worker while under the pool size and none is starting already.
        if (slots.length < size && slots.every((s) => s.ready)) slots.push(spawn());
        return;
      }
      const task = queue.shift()!;
      slot.task = task;
      if (options.timeoutMs !== undefined) {
        const error = options.timeoutError ?? (() => new Error("Worker took too long"));
        slot.timer = setTimeout(() => replace(slot, error()), options.timeoutMs);
      }
      const post = () =>
        slot.worker.postMessage({ id: task.id, request: task.request }, task.transfer);
      if (slot.channel === undefined) post();
      else {
        // An answer that does not fit the channel comes as a message, to `onmessage`.
        sendThroughChannel(slot.channel, task.id, task.request, {
          post,
          always: task.transfer.length > 0,
        }).then(
          (answer) => {
            if (answer !== undefined) finish(slot, task.id, answer.response as Response);
          },
          // An answer that cannot be read is the Worker's failure, as a crash is.
          () => slot.task === task && replace(slot, options.crashError()),
        );
      }
    }
  }

  return {
    run: (request, transfer = []) =>
      new Promise<Response>((resolve, reject) => {
        if (closed) return reject(new Error("worker pool is closed"));
        queue.push({ id: nextId++, request, transfer, resolve, reject });
        pump();
      }),
    close: () => {
      closed = true;
      for (const slot of slots) {
        stop(slot);
        slot.task?.reject(new Error("worker pool closed"));
      }
      slots.length = 0;
      for (const task of queue.splice(0)) task.reject(new Error("worker pool closed"));
    },
  };
}
