import type { DescribedError } from "../trpc/error_body.ts";

const JSON_HEADERS = { "content-type": "application/json" };

/** A JSON response. */
export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  if (headers === undefined) {
    return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
  }
  const all = new Headers(headers);
  all.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: all });
}

/** The JSON answer for a described error, with `Retry-After` when it has one. */
export function errorResponse(error: DescribedError, headers?: HeadersInit): Response {
  const all = new Headers(headers);
  if (error.retryAfterSeconds !== undefined) {
    all.set("retry-after", String(error.retryAfterSeconds));
  }
  return json(error.body, error.status, all);
}
