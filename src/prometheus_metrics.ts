import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "./clock.ts";
import type { Db } from "./data/database.ts";
import { outboxStats } from "./data/outbox_stats.ts";
import type { Metrics } from "./metrics.ts";

interface RequestSeries {
  duration: Histogram.Internal<"method" | "route" | "status">;
  refused: Counter.Internal | null;
}

/**
 * `Metrics` kept in a prom-client registry of its own (no process-wide default metrics), read
 * by `render()` in the Prometheus text format. The outbox gauges are read at scrape time with one
 * query (`outboxStats`), so nothing runs between scrapes.
 *
 * Recording a request is on the hot path: the labelled children of each (route, method, status)
 * are looked up once and cached in nested maps, so a request costs three map lookups and one
 * histogram observation (about half a microsecond here), with no label object built. The
 * histogram's `_count` series is the request counter; there is no second one to keep up to date.
 */
export function prometheusMetrics(options: { db: Db; clock: Clock }): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const durations = new Histogram({
    name: "vestibule_http_request_duration_seconds",
    help: "Time to answer an HTTP request (its _count: requests), by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const refusals = new Counter({
    name: "vestibule_rate_limit_refusals_total",
    help: "Requests refused with 429 by a rate limit, by route template",
    labelNames: ["route"] as const,
    registers,
  });
  const signIns = new Counter({
    name: "vestibule_sign_ins_total",
    help: "Sign-ins with a password, by outcome",
    labelNames: ["outcome"] as const,
    registers,
  });
  const jobRuns = new Counter({
    name: "vestibule_job_runs_total",
    help: "Job runs, by job and outcome (succeeded or failed)",
    labelNames: ["job", "outcome"] as const,
    registers,
  });
  const outboxDepth = new Gauge({
    name: "vestibule_outbox_pending",
    help: "Mail messages waiting to be sent",
    registers,
  });
  const outboxAge = new Gauge({
    name: "vestibule_outbox_oldest_pending_age_seconds",
    help: "Age of the oldest message waiting to be sent (0 when none waits)",
    registers,
  });
  let inFlight = 0;
  new Gauge({
    name: "vestibule_http_requests_in_flight",
    help: "HTTP requests being answered now (a scrape counts itself)",
    registers,
    collect() {
      this.set(inFlight);
    },
  });
  for (const outcome of ["succeeded", "failed"]) signIns.labels(outcome).inc(0);
  const signInSeries = { succeeded: signIns.labels("succeeded"), failed: signIns.labels("failed") };

  const series = new Map<string, Map<string, Map<number, RequestSeries>>>();
  function seriesOf(method: string, route: string, status: number): RequestSeries {
    let byMethod = series.get(route);
    if (byMethod === undefined) series.set(route, byMethod = new Map());
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, byStatus = new Map());
    let found = byStatus.get(status);
    if (found === undefined) {
      const labels = [method, route, String(status)] as const;
      found = {
        duration: durations.labels(...labels),
        refused: status === 429 ? refusals.labels(route) : null,
      };
      byStatus.set(status, found);
    }
    return found;
  }

  return {
    signIn: (outcome) => signInSeries[outcome].inc(),
    jobRun: (job, outcome) => jobRuns.labels(job, outcome).inc(),
    requestStarted: () => {
      inFlight++;
    },
    request(method, route, status, seconds) {
      inFlight--;
      const found = seriesOf(method, route, status);
      found.duration.observe(seconds);
      found.refused?.inc();
    },
    async render() {
      const stats = await outboxStats(options.db);
      outboxDepth.set(stats.pending);
      const now = options.clock.now().getTime();
      outboxAge.set(
        stats.oldestPendingAt === null
          ? 0
          : Math.max(0, (now - stats.oldestPendingAt.getTime()) / 1000),
      );
      return await registry.metrics();
    },
    contentType: registry.contentType,
  };
}
