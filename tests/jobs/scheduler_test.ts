import assert from "node:assert/strict";
import { scheduledJobs } from "croner";
import {
  cronTrigger,
  type Job,
  runScheduledTick,
  startScheduler,
  type Trigger,
} from "../../src/jobs/scheduler.ts";
import { startTestServer } from "../helpers/test_server.ts";

/** A trigger the test fires by hand: no wall clock, no sleeping. */
function manualTrigger() {
  const fires = new Map<string, (tick: Date) => Promise<void>>();
  let ticks = 0;
  const stopped = new Set<string>();
  const trigger: Trigger = (job, fire) => {
    fires.set(job.name, fire);
    return () => stopped.add(job.name);
  };
  // Each fire is a tick of its own (a second apart), as croner's are.
  const fire = (name: string) =>
    fires.get(name)!(new Date(Date.UTC(2026, 10, 23, 10) + ++ticks * 1000));
  return { trigger, fire, stopped };
}

/** A promise with its resolver, to hold a job run open until the test releases it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

Deno.test("startScheduler() never overlaps runs of one job, and stop() waits for the run in progress", async () => {
  const server = await startTestServer();
  try {
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const release = gate();
    const started = gate();
    const slow: Job = {
      name: "slow",
      schedule: "* * * * * *",
      run: async () => {
        runs++;
        maxConcurrent = Math.max(maxConcurrent, ++concurrent);
        started.open();
        await release.opened;
        concurrent--;
        return { runs };
      },
    };
    const manual = manualTrigger();
    const scheduler = startScheduler(server.deps, [slow], manual.trigger);
    const first = manual.fire("slow");
    await started.opened;
    await manual.fire("slow"); // due again while the first run holds: skipped, returns at once
    assert.equal(runs, 1);
    assert.ok(server.logs.some((l) => l.msg === "job skipped: previous run still going"));

    let stopDone = false;
    const stopped = scheduler.stop().then(() => stopDone = true);
    assert.ok(manual.stopped.has("slow"), "stop() stops the trigger first");
    await Promise.resolve();
    assert.equal(stopDone, false, "stop() is still waiting for the run in progress");
    release.open();
    await stopped;
    await first;
    assert.equal(maxConcurrent, 1);
    assert.equal(concurrent, 0, "stop() waited for the run in progress");
    assert.ok(
      server.logs.some((l) => l.msg === "job finished" && l.job === "slow" && l.runs === 1),
    );
  } finally {
    await server.close();
  }
});

Deno.test("a job run that did nothing logs at debug; one that did something, or failed, logs higher", async () => {
  const server = await startTestServer();
  try {
    const results = [{ sent: 0, failed: 0 }, { sent: 2, failed: 0 }];
    const mail: Job = {
      name: "mail",
      schedule: "* * * * * *",
      run: () => Promise.resolve(results.shift()!),
    };
    const broken: Job = {
      name: "broken",
      schedule: "* * * * * *",
      run: () => Promise.reject(new Error("disk on fire")),
    };
    const manual = manualTrigger();
    const scheduler = startScheduler(server.deps, [mail, broken], manual.trigger);
    await manual.fire("mail");
    await manual.fire("mail");
    await manual.fire("broken");
    await scheduler.stop();
    const finished = server.logs.filter((l) => l.msg === "job finished" && l.job === "mail");
    assert.deepEqual(finished.map((l) => [l.level, l.sent]), [["debug", 0], [undefined, 2]]);
    const failed = server.logs.find((l) => l.msg === "job failed" && l.job === "broken");
    assert.equal(failed?.level, "error");
    assert.equal(failed?.error, "Error: disk on fire");

    const metrics = await server.deps.metrics.render();
    assert.match(metrics, /vestibule_job_runs_total\{job="mail",outcome="succeeded"\} 2/);
    assert.match(metrics, /vestibule_job_runs_total\{job="broken",outcome="failed"\} 1/);
  } finally {
    await server.close();
  }
});

Deno.test("cronTrigger() registers each job with croner by name and unregisters it when stopped", async () => {
  const server = await startTestServer();
  try {
    const job: Job = {
      name: "cron-registered",
      schedule: "0 0 3 * * *",
      run: () => Promise.resolve({}),
    };
    const scheduler = startScheduler(server.deps, [job], cronTrigger);
    const cron = scheduledJobs.find((c) => c.name === "cron-registered");
    assert.ok(cron, "croner knows the job");
    assert.equal(cron.getPattern(), "0 0 3 * * *");
    assert.ok(cron.isRunning());
    await scheduler.stop();
    assert.ok(cron.isStopped());
    assert.equal(scheduledJobs.some((c) => c.name === "cron-registered"), false);
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
