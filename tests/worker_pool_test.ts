import assert from "node:assert/strict";
import { workerPool } from "../src/worker_pool.ts";
import type { EchoRequest, EchoResponse } from "./helpers/echo_worker.ts";

const ECHO_WORKER = new URL("./helpers/echo_worker.ts", import.meta.url);

function echoPool(sharedMemory: boolean, size = 1) {
  return workerPool<EchoRequest, EchoResponse>({
    url: ECHO_WORKER,
    size,
    crashError: () => new Error("echo worker crashed"),
    sharedMemory,
  });
}

Deno.test("a shared-memory pool answers through its channel, with no message per request", async () => {
  const pool = echoPool(true);
  try {
    for (let i = 0; i < 50; i++) {
      const answer = await pool.run({ echo: { i, text: "é\u2028😀", list: [1, null, "x"] } });
      assert.deepEqual(answer.echo, { i, text: "é\u2028😀", list: [1, null, "x"] });
      assert.equal(answer.messages, 1, "only the message that handed over the channel");
    }
  } finally {
    pool.close();
  }
});

Deno.test("what JSON would not carry exactly, or too much of it, goes as a message", async (t) => {
  const pool = echoPool(true);
  try {
    await t.step("a typed array, a bigint, a Date, undefined in an array, NaN", async () => {
      const echo = [new Uint8Array([1, 2, 255]), 2n ** 70n, new Date(0), [undefined, 1], NaN];
      const answer = await pool.run({ echo });
      assert.deepEqual(answer.echo, echo);
      assert.equal(answer.messages, 2, "the channel, then this request");
    });
    await t.step("a property whose value is undefined", async () => {
      const answer = await pool.run({ echo: undefined });
      assert.equal("echo" in answer, true);
      assert.equal(answer.echo, undefined);
    });
    await t.step("a request larger than the channel (64 KiB)", async () => {
      const echo = "é".repeat(100_000);
      assert.equal((await pool.run({ echo })).echo, echo);
    });
    await t.step("an answer larger than the channel", async () => {
      const answer = await pool.run({ answerBytes: 200_000 });
      assert.equal(answer.filler, "a".repeat(200_000));
    });
    await t.step("and the channel serves the next request again", async () => {
      const before = (await pool.run({ echo: 1 })).messages;
      assert.equal((await pool.run({ echo: 2 })).messages, before);
    });
  } finally {
    pool.close();
  }
});

Deno.test("shared-memory and message pools answer concurrent requests each with its own answer", async () => {
  for (const sharedMemory of [true, false]) {
    const pool = echoPool(sharedMemory, 2);
    try {
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => pool.run({ echo: i })),
      );
      assert.deepEqual(answers.map((a) => a.echo), Array.from({ length: 200 }, (_, i) => i));
    } finally {
      pool.close();
    }
  }
});

Deno.test("a crash fails its request, and a fresh Worker serves the next", async () => {
  const pool = echoPool(true);
  try {
    await assert.rejects(pool.run({ crash: true }), /echo worker crashed/);
    assert.equal((await pool.run({ echo: "after" })).echo, "after");
  } finally {
    pool.close();
  }
});

Deno.test("closing a shared-memory pool fails the request in flight, and nothing else", async () => {
  const pool = echoPool(true);
  await pool.run({ echo: "warm" });
  const inFlight = pool.run({ echo: "late", sleepMs: 200 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  pool.close();
  await assert.rejects(inFlight, /worker pool closed/);
  // The Worker answers after the close, then stops: its answer must not be read as a request,
  // nor fail anything (an unhandled error would fail this test).
  await new Promise((resolve) => setTimeout(resolve, 400));
});

Deno.test("a request past the pool's time limit fails, and a fresh Worker serves the next", async () => {
  const pool = workerPool<EchoRequest, EchoResponse>({
    url: ECHO_WORKER,
    size: 1,
    timeoutMs: 100,
    timeoutError: () => new Error("too slow"),
    crashError: () => new Error("echo worker crashed"),
    sharedMemory: true,
  });
  try {
    await assert.rejects(pool.run({ sleepMs: 400 }), /too slow/);
    assert.equal((await pool.run({ echo: "next" })).echo, "next");
  } finally {
    pool.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 400)); // the slow Worker's late answer
});

Deno.test("a process exits once its shared-memory pool is closed", async () => {
  // Deno's Worker.terminate() cannot end a Worker blocked in Atomics.wait: the process would
  // never exit. close() first tells the Worker to leave its loop.
  const poolModule = new URL("../src/worker_pool.ts", import.meta.url).href;
  const script = `
    import { workerPool } from ${JSON.stringify(poolModule)};
    const pool = workerPool({ url: new URL(${JSON.stringify(ECHO_WORKER.href)}), size: 2,
      crashError: () => new Error("crash"), sharedMemory: true });
    await Promise.all([pool.run({ echo: 1 }), pool.run({ echo: 2 }), pool.run({ echo: 3 })]);
    pool.close();
    console.log("closed");
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const output = await child.output();
  clearTimeout(timer);
  assert.equal(new TextDecoder().decode(output.stdout).trim(), "closed");
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
});
