import { type AnyProcedure, initTRPC } from "@trpc/server";
import type { OpenApiMeta } from "trpc-to-openapi";
import { authenticate } from "../services/sessions.ts";
import { DomainError, type ErrorCode } from "../services/errors.ts";
import type { Context } from "./context.ts";
import { describeError, toTRPCError } from "./error_body.ts";

/**
 * Procedure metadata: the OpenAPI route, the success status when it is not 200, and `errors`: the
 * `DomainError` codes its service can raise. The API document lists those beside the ones every
 * procedure of its kind can answer (input validation, body parsing, authentication, admin role),
 * each with its description and `detail` from `errorCodes`.
 */
export type Meta = OpenApiMeta & { successStatus?: 201 | 202; errors?: ErrorCode[] };

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

/** Who may call a procedure: anyone, a signed-in member, or an admin. */
export type ProcedureAccess = "public" | "member" | "admin";

/**
 * Who may call `procedure`, read from the middlewares it was built with, so the API document's
 * security and 401/403 answers cannot drift from the procedure builder a router used.
 */
export function procedureAccess(procedure: AnyProcedure): ProcedureAccess {
  const middlewares = (procedure._def as unknown as { middlewares: unknown[] }).middlewares;
  if (middlewares.includes(adminMiddleware)) return "admin";
  if (middlewares.includes(memberMiddleware)) return "member";
  return "public";
}

const memberMiddleware = (protectedProcedure._def as { middlewares: unknown[] }).middlewares[0];
const adminMiddleware = (adminProcedure._def as { middlewares: unknown[] }).middlewares.at(-1);
