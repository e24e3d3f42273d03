/**
 * Cross-origin access for browser apps: the pages of the origins listed in `CORS_ORIGINS` may call
 * the API (`/api/v1`, `/trpc`, `/openapi.json`) with a bearer token; every other origin gets no
 * CORS header, so the browser keeps the answer from its page.
 *
 * No credentials mode (`Access-Control-Allow-Credentials`): Vestibule reads no cookie, the
 * token travels in `Authorization`, which a preflight grants like any other header.
 */

/** Methods the API answers; a preflight grants all of them. */
export const CORS_ALLOWED_METHODS = "GET, POST, PATCH, DELETE";
/** Request headers a page may send. */
export const CORS_ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-Id";
/** Response headers a page may read besides the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS = "X-Request-Id, Retry-After";
/** How long a browser may reuse a preflight's grant, in seconds (Chromium caps it at 7200). */
export const CORS_MAX_AGE_SECONDS = 7200;

/** The CORS policy of one server, built once from its configured origins. */
export interface Cors {
  /** Whether `path` is one the policy covers (the API, tRPC and the OpenAPI document). */
  covers(path: string): boolean;
  /**
   * The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`): 204 with the
   * grant for an allowed origin, 204 without any grant for another. `null` when the request is
   * not a preflight, so it is routed as usual.
   */
  preflight(request: Request): Response | null;
  /**
   * Adds the grant to an actual response when `origin` (the request's `Origin`) is allowed, and
   * `Vary: Origin` whenever an `Origin` was sent. Does nothing (not one header read) without one.
   */
  apply(origin: string | null, response: Response): void;
}

/**
 * Builds the policy for an exact list of origins (`scheme://host[:port]`, as browsers send them).
 * Origins are compared as exact strings: no wildcard, no suffix match, and `null` never matches.
 */
export function createCors(origins: readonly string[]): Cors {
  const allowed = new Set(origins);
  return {
    covers: (path) =>
      path.startsWith("/api/v1/") || path.startsWith("/trpc/") || path === "/openapi.json",
    preflight(request) {
      if (request.method !== "OPTIONS") return null;
      if (!request.headers.has("access-control-request-method")) return null;
      const origin = request.headers.get("origin");
      const headers = new Headers({ vary: "Origin" });
      if (origin !== null && allowed.has(origin)) {
        headers.set("access-control-allow-origin", origin);
        headers.set("access-control-allow-methods", CORS_ALLOWED_METHODS);
        headers.set("access-control-allow-headers", CORS_ALLOWED_HEADERS);
        headers.set("access-control-max-age", String(CORS_MAX_AGE_SECONDS));
        headers.append("vary", "Access-Control-Request-Method, Access-Control-Request-Headers");
      }
      return new Response(null, { status: 204, headers });
    },
    apply(origin, response) {
      if (origin === null) return;
      const headers = response.headers;
      headers.append("vary", "Origin");
      if (!allowed.has(origin)) return;
      headers.set("access-control-allow-origin", origin);
      headers.set("access-control-expose-headers", CORS_EXPOSED_HEADERS);
    },
  };
}
