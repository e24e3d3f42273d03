import assert from "node:assert/strict";
import { type Job, runScheduledTick, startScheduler } from "../../src/jobs/scheduler.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("startScheduler() runs jobs on schedule, never overlapping, and stop() waits for a run", async () => {
  const server = await startTestServer();
  try {
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    let release: () => void = () => {};
    const slow: Job = {
      name: "slow",
      schedule: "* * * * * *", // every second, while one run lasts longer than that
      run: async () => {
        runs++;
        maxConcurrent = Math.max(maxConcurrent, ++concurrent);
        await new Promise<void>((resolve) => (release = resolve, setTimeout(resolve, 2500)));
        concurrent--;
        return { runs };
      },
    };
    const scheduler = startScheduler(server.deps, [slow]);
    await new Promise((resolve) => setTimeout(resolve, 3200));
    const stopped = scheduler.stop();
    release();
    await stopped;
    assert.ok(runs >= 1 && runs <= 2, `runs: ${runs}`);
    assert.equal(maxConcurrent, 1);
    assert.equal(concurrent, 0, "stop() waited for the run in progress");
    assert.ok(server.logs.some((l) => l.msg === "job finished" && l.job === "slow"));
  } finally {
    await server.close();
  }
});

Deno.test("runScheduledTick() runs a tick once, however many schedulers fire for it", async () => {
  const server = await startTestServer();
  try {
    let runs = 0;
    const job: Job = {
      name: "counted",
      schedule: "0 * * * * *",
      run: () => Promise.resolve({ runs: ++runs }),
    };
    const tick = new Date("2026-11-23T10:01:00.000Z");
    const ran = await Promise.all([
      runScheduledTick(server.deps, job, tick),
      runScheduledTick(server.deps, job, tick),
    ]);
    assert.equal(ran.filter(Boolean).length, 1);
    assert.equal(runs, 1);
    assert.equal(
      await runScheduledTick(server.deps, job, new Date("2026-11-23T10:02:00.000Z")),
      true,
    );
    assert.equal(runs, 2);
  } finally {
    await server.close();
  }
});
