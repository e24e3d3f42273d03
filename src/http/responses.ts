import type { DescribedError } from "../trpc/error_body.ts";

/**
 * Headers every JSON answer carries: nothing cached (token and account answers must not be:
 * RFC 6749 §5.1), no content sniffing, no referrer leaving with a followed link.
 */
export const JSON_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
});

// One frozen init reused by every plain JSON answer: the hot path builds no header object.
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json",
  ...JSON_SECURITY_HEADERS,
});

/** A JSON response carrying the JSON security headers (and `headers`, when given). */
export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  if (headers === undefined) {
    return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
  }
  const all = new Headers(headers);
  for (const name in JSON_HEADERS) all.set(name, JSON_HEADERS[name]);
  return new Response(JSON.stringify(body), { status, headers: all });
}

/** A JSON response whose body is already serialised (the OpenAPI document). */
export function jsonText(text: string): Response {
  return new Response(text, { headers: JSON_HEADERS });
}

/** Sets the JSON security headers on a response built elsewhere (tRPC's adapter). */
export function secureJson(response: Response): Response {
  const headers = response.headers;
  for (const name in JSON_SECURITY_HEADERS) headers.set(name, JSON_SECURITY_HEADERS[name]);
  return response;
}

/** The JSON answer for a described error, with `Retry-After` when it has one. */
export function errorResponse(error: DescribedError, headers?: HeadersInit): Response {
  if (error.retryAfterSeconds === undefined && headers === undefined) {
    return json(error.body, error.status);
  }
  const all = new Headers(headers);
  if (error.retryAfterSeconds !== undefined) {
    all.set("retry-after", String(error.retryAfterSeconds));
  }
  return json(error.body, error.status, all);
}
