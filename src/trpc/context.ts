import type { Deps } from "../deps.ts";
import type { RequestMeta } from "../services/audit.ts";

/** What every procedure receives: the dependencies and who is calling. */
export interface Context {
  deps: Deps;
  meta: RequestMeta;
  /** The raw `Authorization` header, checked only by procedures that need a member. */
  authorization: string | null;
  requestId: string;
  /** The template of the REST route that matched (`/users/me`), set by the edge for metrics. */
  route?: string;
}

/** Builds a context without HTTP, for the edge and for tests calling `createCaller`. */
export function createContextInner(
  deps: Deps,
  request: Partial<Omit<Context, "deps">> = {},
): Context {
  return {
    deps,
    meta: request.meta ?? { ip: null, userAgent: null },
    authorization: request.authorization ?? null,
    requestId: request.requestId ?? crypto.randomUUID(),
    route: undefined, // always present, so every context has the same shape
  };
}
