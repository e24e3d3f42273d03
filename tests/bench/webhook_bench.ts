/**
 * Webhook delivery, measured (the last part of `deno task bench`; alone:
 * `deno run --allow-all tests/bench/webhook_bench.ts`). A receiver in another process answers at
 * once (`webhook_sink.ts`).
 *
 * 1. Throughput: 10,000 events of distinct members queued, then one delivery run: events per
 *    second (target >= 1,000), with `GET /api/v1/users/me` p99 during the run against idle
 *    (target <= 3x), from the latency probe in its own process.
 * 2. Commit to arrival: 100 events per second for 10 s, each committed by `commitChange` (its
 *    nudge delivers it), p99 of arrival minus the event's timestamp (target <= 1 s).
 */
import { sql } from "kysely";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/log.ts";
import { startServer } from "../../src/server.ts";
import { commitChange } from "../../src/services/change.ts";
import { createWebhook } from "../../src/services/webhooks.ts";
import { startProbe, startReporter } from "./probe.ts";
import { registerMember } from "./bench.ts";

const EVENTS = Number(Deno.env.get("WEBHOOK_BENCH_EVENTS") ?? 10_000);
const STEADY_SECONDS = Number(Deno.env.get("WEBHOOK_BENCH_SECONDS") ?? 10);
const SINK = new URL("./webhook_sink.ts", import.meta.url).pathname;

async function startSink() {
  const sink = await startReporter([SINK], "the sink");
  const { port } = JSON.parse(sink.ready);
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    stop: async (): Promise<{ count: number; lags: number[] }> => JSON.parse(await sink.stop()),
  };
}

const p99 = (values: number[]) => {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))];
};

async function main(): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "vestibule-webhook-bench-" });
  const server = await startServer(
    loadConfig({
      DATA_DIR: dataDir,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_REQUESTS: "false",
      WEBHOOK_ALLOW_PRIVATE: "true",
    }),
    { log: silentLogger },
    { startJobs: false },
  );
  let sink = await startSink();
  try {
    const token = await registerMember(server.url, "probe@example.com");
    const meta = { ip: null, userAgent: null };
    const endpoint = await createWebhook(server.deps, null, { url: sink.url }, meta);

    // 1. Throughput.
    const now = server.deps.clock.now().toISOString();
    const payload = (i: string) =>
      `'{"type":"user.updated","timestamp":"${now}","data":{"user_id":"bench-' || ${i} || '","name":"Bench"}}'`;
    await sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${EVENTS})
      INSERT INTO webhook_deliveries (id, event_id, endpoint_id, user_id, seq, type, payload,
        status, attempts, next_attempt_at, give_up_at, created_at)
      SELECT 'whd_bench_' || i, 'msg_bench_' || i, ${endpoint.id}, 'bench-' || i, 1,
        'user.updated', ${sql.raw(payload("i"))}, 'pending', 0, ${now},
        '2099-01-01T00:00:00.000Z', ${now} FROM n`.execute(server.deps.db);
    const meUrl = `${server.url}/api/v1/users/me`;
    let stopProbe = await startProbe(meUrl, token);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const idle = await stopProbe();
    stopProbe = await startProbe(meUrl, token);
    const started = performance.now();
    const report = await server.deps.webhooks.deliverDue();
    const seconds = (performance.now() - started) / 1000;
    const during = await stopProbe();
    const received = await sink.stop();
    sink = await startSink();
    await server.deps.db.deleteFrom("webhook_endpoints").execute();
    await createWebhook(server.deps, null, { url: sink.url }, meta);

    // 2. Commit to arrival under a steady 100 events per second.
    const total = STEADY_SECONDS * 100;
    const paced = performance.now();
    for (let i = 0; i < total; i++) {
      await commitChange(
        server.deps,
        (_trx, events) =>
          events.webhook("user.updated", { user_id: `steady-${i % 50}`, name: `Name ${i}` }),
      );
      const wait = paced + (i + 1) * 10 - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await server.deps.background.idle();
    await server.deps.webhooks.idle();
    const steady = await sink.stop();

    console.log(`
| Webhook measurement | Value | Target |
|---|---:|---|
| events delivered in one run | ${report.delivered} of ${EVENTS} (sink got ${received.count}) | ${EVENTS} |
| delivery rate | ${(report.delivered / seconds).toFixed(0)} per second (${
      seconds.toFixed(2)
    } s) | >= 1000 ${report.delivered / seconds >= 1000 ? "ok" : "MISSED"} |
| GET /users/me p99, idle | ${idle.p99.toFixed(2)} ms (${idle.count} requests) | |
| GET /users/me p99, during delivery | ${during.p99.toFixed(2)} ms (${during.count} requests) | |
| ratio | ${(during.p99 / idle.p99).toFixed(2)} x idle | <= 3 ${
      during.p99 / idle.p99 <= 3 ? "ok" : "MISSED"
    } |
| commit to arrival p99, 100/s | ${
      p99(steady.lags)
    } ms (${steady.count} of ${total}) | <= 1000 ms ${
      p99(steady.lags) <= 1000 ? "ok" : "MISSED"
    } |`);
  } finally {
    await sink.stop().catch(() => {});
    await server.shutdown();
    await Deno.remove(dataDir, { recursive: true });
  }
}

if (import.meta.main) await main();
