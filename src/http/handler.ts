import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Deps } from "../deps.ts";
import { DomainError } from "../services/errors.ts";
import { appRouter } from "../trpc/app_router.ts";
import { type Context, createContextInner } from "../trpc/context.ts";
import { describeError } from "../trpc/error_body.ts";
import { bodyLimit, readBodyLimited } from "./body.ts";
import { customPaths, customRoutes, edgePaths } from "./custom_routes.ts";
import { serveAuthorizationServerMetadata } from "./oauth_routes.ts";
import { serveUpload } from "./uploads.ts";
import { clientIp } from "./client_ip.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { isLinkPage, serveLinkPage } from "./pages.ts";
import { createCors } from "./cors.ts";
import { isDocsPath, serveDocs } from "./docs.ts";
import { readiness, requestIdOf, routeLabeler, serveMetrics } from "./operations.ts";
import { errorResponse, json, jsonText, secureJson } from "./responses.ts";
import { createRestHandler, unhandled } from "./rest.ts";

/** The whole HTTP surface as one `Deno.serve` handler. */
export type Handler = (request: Request, info?: { remoteAddr: Deno.Addr }) => Promise<Response>;

const REST_PREFIX = "/api/v1";

/**
 * Builds the edge once: routes `/trpc/*`, `/api/v1/*`, `/openapi.json` (also under `/api/v1`),
 * `/healthz`, `/.well-known/oauth-authorization-server`, `/uploads/*`, `/docs` and the pages
 * emailed links open; anything else is a JSON 404. Every answer carries `X-Request-Id`; every JSON
 * answer `Cache-Control: no-store`, `nosniff` and `Referrer-Policy: no-referrer`; answers under the
 * API carry the CORS grant of `CORS_ORIGINS` (`src/http/cors.ts`). Every request is logged as one
 * JSON line without its query string (tokens may travel there).
 */
export function createHandler(deps: Deps): Handler {
  const rest = createRestHandler(appRouter, {
    maxBodyBytes: deps.config.maxBodyBytes,
    customRoutes: customRoutes(deps.config),
  });
  const openApiJson = JSON.stringify(buildOpenApiDocument(appRouter, customPaths, edgePaths));
  const cors = createCors(deps.config.corsOrigins);
  const operationPaths = new Set([
    "/healthz",
    "/readyz",
    "/metrics",
    "/.well-known/oauth-authorization-server",
  ]);
  const labels = routeLabeler(
    Object.keys(appRouter._def.procedures),
    (path) =>
      operationPaths.has(path) || isLinkPage(path) || isDocsPath(path) ||
      path === "/openapi.json" || path === `${REST_PREFIX}/openapi.json`,
  );

  async function route(request: Request, url: URL, ctx: Context): Promise<Response> {
    const path = url.pathname;
    if (path === "/openapi.json" || path === `${REST_PREFIX}/openapi.json`) {
      return jsonText(openApiJson);
    }
    if (path.startsWith(`${REST_PREFIX}/`)) {
      return await rest(request, path.slice(REST_PREFIX.length).replace(/\/+$/, ""), url, ctx);
    }
    if (path.startsWith("/trpc/")) return await trpc(request, ctx);
    if (path.startsWith("/uploads/")) return await serveUpload(request, path, deps.uploads);
    if (path === "/healthz") return json({ status: "ok" });
    if (path === "/.well-known/oauth-authorization-server" && request.method === "GET") {
      return serveAuthorizationServerMetadata(deps.config);
    }
    if (path === "/readyz") return await readiness(deps);
    if (path === "/metrics") return await serveMetrics(request, deps);
    if (isLinkPage(path)) return await serveLinkPage(request, url, ctx, deps.config);
    if (isDocsPath(path)) return await serveDocs(request, path, deps.config);
    return errorResponse(describeError(new DomainError("NOT_FOUND")));
  }

  async function trpc(request: Request, ctx: Context): Promise<Response> {
    // Buffer the body under the limit first: tRPC's adapter would read any size.
    const { limit, code } = bodyLimit(request, deps.config.maxBodyBytes);
    const body = request.body === null
      ? null
      : await readBodyLimited(request, limit, code).catch((error) => error);
    if (body instanceof DomainError) return errorResponse(describeError(body));
    // Always a fresh Request: tRPC reads `signal`, and Deno's own request signal costs
    // per-request abort bookkeeping.
    const limited = new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body,
    });
    return secureJson(
      await fetchRequestHandler({
        endpoint: "/trpc",
        req: limited,
        router: appRouter,
        createContext: () => ctx,
        onError: ({ error }) => {
          if (error.code === "INTERNAL_SERVER_ERROR") {
            deps.log.error(unhandled(ctx.requestId, error));
          }
        },
        responseMeta: ({ errors }) => {
          const retryAfter = errors.map((e) => describeError(e).retryAfterSeconds).find((s) =>
            s !== undefined
          );
          return retryAfter === undefined ? {} : { headers: { "retry-after": String(retryAfter) } };
        },
      }),
    );
  }

  return async (request, info) => {
    const started = performance.now();
    deps.metrics.requestStarted();
    const requestId = requestIdOf(request.headers.get("x-request-id"));
    const url = new URL(request.url);
    const peer = info?.remoteAddr.transport === "tcp" ? info.remoteAddr.hostname : null;
    const ctx = createContextInner(deps, {
      meta: {
        ip: clientIp(request, peer, deps.config.trustProxyHops),
        userAgent: request.headers.get("user-agent"),
      },
      authorization: request.headers.get("authorization"),
      requestId,
    });
    const corsCovered = cors.covers(url.pathname);
    // A preflight's answer carries its own grant; only actual answers get `apply`'s.
    const preflight = corsCovered ? cors.preflight(request) : null;
    let response: Response;
    try {
      response = preflight ?? await route(request, url, ctx);
    } catch (error) {
      deps.log.error(unhandled(requestId, error));
      response = errorResponse(describeError(error));
    }
    response.headers.set("x-request-id", requestId);
    if (corsCovered && preflight === null) cors.apply(request.headers.get("origin"), response);
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.request(
      labels.method(request.method),
      labels.route(url.pathname, ctx.route),
      response.status,
      seconds,
    );
    if (deps.config.logRequests) {
      deps.log.info({
        msg: "request",
        method: request.method,
        path: url.pathname,
        status: response.status,
        duration_ms: Math.round(seconds * 100_000) / 100,
        request_id: requestId,
      });
    }
    return response;
  };
}
