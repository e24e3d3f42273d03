import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { DomainError, type ErrorCode, errorCodes } from "../services/errors.ts";

/** The JSON every error answer carries, REST and tRPC alike. */
export interface ErrorBody {
  detail: string;
  code: ErrorCode;
  errors?: { field: string; message: string }[];
}

/** An error as it leaves Vestibule: its status, its body, and `Retry-After` when it has one. */
export interface DescribedError {
  status: number;
  body: ErrorBody;
  retryAfterSeconds?: number;
}

interface Issue {
  path: PropertyKey[];
  message: string;
}

function hasIssues(cause: unknown): cause is { issues: Issue[] } {
  return cause instanceof Error && Array.isArray((cause as { issues?: unknown }).issues);
}

function fromCode(code: ErrorCode, detail?: string): DescribedError {
  return {
    status: errorCodes[code].status,
    body: { detail: detail ?? errorCodes[code].detail, code },
  };
}

const byTrpcCode: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = {
  PARSE_ERROR: "MALFORMED_JSON",
  BAD_REQUEST: "VALIDATION_ERROR",
  NOT_FOUND: "NOT_FOUND",
  METHOD_NOT_SUPPORTED: "METHOD_NOT_ALLOWED",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  UNAUTHORIZED: "NOT_AUTHENTICATED",
};

/**
 * Turns any error raised while serving a procedure into what the caller sees: a `DomainError`
 * keeps its code and detail; a validation failure lists every field and leads with the first
 * message; anything unexpected becomes a generic 500 that reveals nothing.
 */
export function describeError(error: unknown): DescribedError {
  const cause = error instanceof TRPCError ? error.cause : error;
  if (cause instanceof DomainError) {
    return { ...fromCode(cause.code, cause.message), retryAfterSeconds: cause.retryAfterSeconds };
  }
  if (hasIssues(cause) && cause.issues.length > 0) {
    const errors = cause.issues.map((issue) => ({
      field: issue.path.map(String).join(".") || "body",
      message: issue.message,
    }));
    return { status: 400, body: { detail: errors[0].message, code: "VALIDATION_ERROR", errors } };
  }
  if (cause instanceof SyntaxError) return fromCode("MALFORMED_JSON"); // tRPC's own body parse
  if (error instanceof TRPCError) {
    const code = byTrpcCode[error.code];
    if (code === "MALFORMED_JSON") return fromCode(code);
    if (code !== undefined) return fromCode(code, error.message);
  }
  return fromCode("INTERNAL_ERROR");
}

const trpcCodeByStatus: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE_CONTENT",
  429: "TOO_MANY_REQUESTS",
};

/** The tRPC error carrying a domain error, with the code tRPC needs to answer the right status. */
export function toTRPCError(error: DomainError): TRPCError {
  return new TRPCError({
    code: trpcCodeByStatus[error.status] ?? "INTERNAL_SERVER_ERROR",
    message: error.message,
    cause: error,
  });
}
