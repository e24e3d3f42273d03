import { timingSafeEqual } from "node:crypto";
import type { Deps } from "../deps.ts";
import { migrationStatus } from "../data/migrate.ts";
import { json } from "./responses.ts";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id to use: the caller's `X-Request-Id` when it is 1-128 characters of
 * `[A-Za-z0-9._:-]` (so a proxy's id ties its logs to ours, and nothing odd reaches a log line),
 * otherwise a fresh UUID.
 */
export function requestIdOf(header: string | null): string {
  return header !== null && REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

/**
 * Readiness for a load balancer: 200 `{"status":"ready"}` only when the database answers and
 * every migration this build knows is applied; otherwise 503 with a `detail` saying which.
 * Liveness (`/healthz`) stays independent of the database.
 */
export async function readiness(deps: Deps): Promise<Response> {
  let pending: string[];
  try {
    pending = (await migrationStatus(deps.db)).filter((m) => m.appliedAt === null).map((m) =>
      m.name
    );
  } catch (error) {
    deps.log.error({ msg: "readiness check failed", error: String(error) });
    return json({ detail: "Database unavailable", code: "NOT_READY" }, 503);
  }
  if (pending.length > 0) {
    return json({ detail: `Migrations pending: ${pending.join(", ")}`, code: "NOT_READY" }, 503);
  }
  return json({ status: "ready" });
}

/**
 * The Prometheus scrape. With `METRICS_TOKEN` set, only `Authorization: Bearer <token>` is
 * answered (compared in constant time); anything else gets 401.
 */
export async function serveMetrics(request: Request, deps: Deps): Promise<Response> {
  const token = deps.config.metricsToken;
  if (token !== undefined && !bearerMatches(request.headers.get("authorization"), token)) {
    return json({ detail: "Metrics token required", code: "NOT_AUTHENTICATED" }, 401, {
      "www-authenticate": 'Bearer realm="metrics"',
    });
  }
  return new Response(await deps.metrics.render(), {
    headers: { "content-type": deps.metrics.contentType },
  });
}

function bearerMatches(header: string | null, token: string): boolean {
  const presented = new TextEncoder().encode(header ?? "");
  const expected = new TextEncoder().encode(`Bearer ${token}`);
  // Compare equal lengths only; the length of a configured token is not the secret.
  if (presented.length !== expected.length) return false;
  return timingSafeEqual(presented, expected);
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Names a request for the metrics with a bounded set of labels: the REST route's template
 * (`/api/v1/users/me/sessions/{id}`), `/trpc/<procedure>` for a known procedure (`/trpc/*` for
 * batches and unknown names), `/uploads/*`, `/api/v1/*` for what no REST route matched, each
 * path `isFixedPath` accepts as is, and `other` for everything else (a 404, a preflight to any
 * path). Methods outside the standard set count as `OTHER`.
 */
export function routeLabeler(procedures: Iterable<string>, isFixedPath: (path: string) => boolean) {
  const trpcLabels = new Map([...procedures].map((name) => [name, `/trpc/${name}`]));
  const restLabels = new Map<string, string>();
  return {
    method: (method: string) => METHODS.has(method) ? method : "OTHER",
    route(path: string, restTemplate: string | undefined): string {
      if (restTemplate !== undefined) {
        let label = restLabels.get(restTemplate);
        if (label === undefined) restLabels.set(restTemplate, label = `/api/v1${restTemplate}`);
        return label;
      }
      if (path.startsWith("/trpc/")) return trpcLabels.get(path.slice(6)) ?? "/trpc/*";
      if (isFixedPath(path)) return path;
      if (path.startsWith("/uploads/")) return "/uploads/*";
      if (path.startsWith("/api/v1/")) return "/api/v1/*";
      return "other";
    },
  };
}
