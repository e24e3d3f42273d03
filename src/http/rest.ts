import type { AnyProcedure, AnyRouter } from "@trpc/server";
import { DomainError } from "../services/errors.ts";
import type { Context } from "../trpc/context.ts";
import { describeError } from "../trpc/error_body.ts";
import type { Meta } from "../trpc/init.ts";
import { compileProcedureCall, type ProcedureCall } from "../trpc/procedure_call.ts";
import { readJsonBody } from "./body.ts";
import { errorResponse, json } from "./responses.ts";

/**
 * A REST route served by the edge itself, for what trpc-to-openapi cannot express (a DELETE with
 * a JSON body, a multipart upload). It still calls a procedure, through `callProcedure`.
 */
export interface CustomRoute {
  method: string;
  path: `/${string}`;
  handle(input: {
    request: Request;
    params: Record<string, string>;
    ctx: Context;
    callProcedure(path: string, input: unknown): Promise<unknown>;
  }): Promise<Response>;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp | null;
  params: string[];
  invoke(
    request: Request,
    params: Record<string, string>,
    url: URL,
    ctx: Context,
  ): Promise<Response>;
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * Builds, once, the REST handler for every procedure that has an `openapi` route in its meta.
 *
 * trpc-to-openapi's own adapters rebuild their handler per request, regenerate the document
 * outside production, and rewrite the zod schemas in place to coerce query strings; this edge
 * compiles the routes at start-up and calls each procedure directly, so a request costs a map
 * lookup, a body parse and the procedure itself. Query strings reach the procedures as strings,
 * so query inputs use `z.coerce`; the schemas are never modified.
 */
export function createRestHandler(
  router: AnyRouter,
  options: { maxBodyBytes: number; customRoutes?: CustomRoute[] },
): (request: Request, path: string, url: URL, ctx: Context) => Promise<Response> {
  const procedures = router._def.procedures as Record<string, AnyProcedure>;
  const calls = new Map<string, ProcedureCall>(
    Object.entries(procedures).map((
      [path, procedure],
    ) => [path, compileProcedureCall(path, procedure)]),
  );
  const callProcedure = (path: string, ctx: Context, input: unknown) => {
    const call = calls.get(path);
    if (call === undefined) throw new Error(`no procedure at ${path}`);
    return call(ctx, input);
  };

  const routes: Route[] = [];
  for (const [name, procedure] of Object.entries(procedures)) {
    const meta = procedure._def.meta as Meta | undefined;
    if (!meta?.openapi || meta.openapi.enabled === false) continue;
    const { method, path } = meta.openapi;
    const takesInput = procedure._def.inputs.length > 0;
    const status = meta.successStatus ?? 200;
    routes.push(compile(method, path, async (request, params, url, ctx) => {
      let input: unknown = undefined;
      if (takesInput) {
        const raw = BODY_METHODS.has(method)
          ? await readJsonBody(request, options.maxBodyBytes)
          : queryObject(url);
        input = isPlainObject(raw) ? { ...raw, ...params } : raw;
      }
      return json(await callProcedure(name, ctx, input), status);
    }));
  }
  for (const custom of options.customRoutes ?? []) {
    routes.push(compile(custom.method, custom.path, (request, params, _url, ctx) =>
      custom.handle({
        request,
        params,
        ctx,
        callProcedure: (path, input) => callProcedure(path, ctx, input),
      })));
  }

  const exact = new Map<string, Route>();
  const exactPaths = new Map<string, string[]>();
  for (const route of routes.filter((r) => r.pattern === null)) {
    exact.set(`${route.method} ${route.template}`, route);
    exactPaths.set(route.template, [...exactPaths.get(route.template) ?? [], route.method]);
  }
  const templated = routes.filter((route) => route.pattern !== null);

  function dispatch(request: Request, path: string, url: URL, ctx: Context): Promise<Response> {
    const route = exact.get(`${request.method} ${path}`);
    if (route !== undefined) {
      ctx.route = route.template;
      return route.invoke(request, {}, url, ctx);
    }
    const allowed = [...exactPaths.get(path) ?? []];
    for (const candidate of templated) {
      const params = matchParams(candidate, path);
      if (params === null) continue;
      if (candidate.method === request.method) {
        ctx.route = candidate.template;
        return candidate.invoke(request, params, url, ctx);
      }
      allowed.push(candidate.method);
    }
    if (allowed.length > 0) throw new MethodNotAllowed(allowed);
    throw new DomainError("NOT_FOUND");
  }

  return async (request, path, url, ctx) => {
    try {
      return await dispatch(request, path, url, ctx);
    } catch (error) {
      if (error instanceof MethodNotAllowed) {
        return errorResponse(describeError(new DomainError("METHOD_NOT_ALLOWED")), {
          allow: error.allowed.join(", "),
        });
      }
      const described = describeError(error);
      if (described.status >= 500) ctx.deps.log.error(unhandled(ctx.requestId, error));
      return errorResponse(described);
    }
  };
}

class MethodNotAllowed extends Error {
  constructor(readonly allowed: string[]) {
    super("Method not allowed");
  }
}

/** The log entry for an unexpected error: the cause in full, for the operator only. */
export function unhandled(requestId: string, error: unknown): Record<string, unknown> {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return {
    msg: "unhandled error",
    request_id: requestId,
    error: String(cause),
    stack: cause instanceof Error ? cause.stack : undefined,
  };
}

function compile(method: string, template: string, invoke: Route["invoke"]): Route {
  const params = Array.from(template.matchAll(/\{(\w+)\}/g), (m) => m[1]);
  const pattern = params.length === 0 ? null : new RegExp(
    `^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "([^/]+)")}$`,
  );
  return { method, template, pattern, params, invoke };
}

function matchParams(route: Route, path: string): Record<string, string> | null {
  const match = route.pattern!.exec(path);
  if (match === null) return null;
  const params: Record<string, string> = {};
  route.params.forEach((name, i) => {
    try {
      params[name] = decodeURIComponent(match[i + 1]);
    } catch {
      params[name] = match[i + 1];
    }
  });
  return params;
}

function queryObject(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined
      ? value
      : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
