/**
 * What the service counts, as plain calls: services, jobs and the edge record through this
 * interface and never see the metrics library (`prometheus_metrics.ts` implements it).
 */
export interface Metrics {
  /** One sign-in with a password: it opened a session, or it was refused. */
  signIn(outcome: "succeeded" | "failed"): void;
  /** One scheduled or CLI run of a job, and whether it threw. */
  jobRun(job: string, outcome: "succeeded" | "failed"): void;
  /** An HTTP request arrived; `request()` records its answer (the two keep the in-flight gauge). */
  requestStarted(): void;
  /**
   * One answered HTTP request. `route` is the route's template (`/api/v1/users/me/sessions/{id}`),
   * never the raw path, so the number of series stays bounded.
   */
  request(method: string, route: string, status: number, seconds: number): void;
  /** Every series in the Prometheus text format, with the outbox gauges read now. */
  render(): Promise<string>;
  /** The `Content-Type` of `render()`'s text. */
  readonly contentType: string;
}

/** Counts nothing; for Workers and tools that run without an HTTP edge. */
export const noMetrics: Metrics = {
  signIn: () => {},
  jobRun: () => {},
  requestStarted: () => {},
  request: () => {},
  render: () => Promise.resolve(""),
  contentType: "text/plain; version=0.0.4; charset=utf-8",
};
