import { initTRPC } from "@trpc/server";
import type { OpenApiMeta } from "trpc-to-openapi";
import { authenticate } from "../services/sessions.ts";
import { DomainError } from "../services/errors.ts";
import type { Context } from "./context.ts";
import { describeError, toTRPCError } from "./error_body.ts";

/** Procedure metadata: the OpenAPI route, and the success status when it is not 200. */
export type Meta = OpenApiMeta & { successStatus?: 201 | 202 };

const t = initTRPC.context<Context>().meta<Meta>().create({
  // Never send stack traces, whatever NODE_ENV says.
  isDev: false,
  errorFormatter: ({ shape, error }) => {
    const described = describeError(error);
    return {
      ...shape,
      message: described.body.detail,
      data: { path: shape.data.path, httpStatus: described.status, ...described.body },
    };
  },
});

/**
 * Lets services throw `DomainError` and still answer with the status its code maps to: a failed
 * result caused by one is thrown again as the matching tRPC error.
 */
function throwIfDomainError(result: { ok: boolean; error?: { cause?: unknown } }): void {
  if (!result.ok && result.error?.cause instanceof DomainError) {
    throw toTRPCError(result.error.cause);
  }
}

const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  throwIfDomainError(result);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** A procedure anyone may call. */
export const publicProcedure = t.procedure.use(domainErrors);

/**
 * A procedure for a signed-in member: `ctx.auth` is the caller, their session checked live.
 * One middleware does both jobs of `publicProcedure` plus authentication: this is the path of
 * every member request, and each middleware layer costs a context copy.
 */
export const protectedProcedure = t.procedure.use(async ({ ctx, next }) => {
  let auth;
  try {
    auth = await authenticate(ctx.deps, ctx.authorization);
  } catch (error) {
    throw error instanceof DomainError ? toTRPCError(error) : error;
  }
  const result = await next({ ctx: { auth } });
  throwIfDomainError(result);
  return result;
});

/**
 * A procedure for operators: a signed-in member whose role is `admin`. Anyone else who is signed
 * in gets 403 `Admin access required` before the input is even read.
 */
export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.auth.role !== "admin") throw toTRPCError(new DomainError("FORBIDDEN"));
  return next();
});
