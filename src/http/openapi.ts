import type { AnyProcedure, AnyRouter } from "@trpc/server";
import { generateOpenApiDocument } from "trpc-to-openapi";
import type { OpenAPIObject } from "trpc-to-openapi";
import { type ErrorCode, errorCodes } from "../services/errors.ts";
import { type Meta, procedureAccess } from "../trpc/init.ts";

/** Paths documented by hand for the routes the edge serves itself, in zod-openapi's form. */
export type ExtraPaths = NonNullable<Parameters<typeof generateOpenApiDocument>[1]["paths"]>;

/** How an operation takes its input, which decides the body errors it can answer. */
export type BodyKind = "none" | "query" | "json" | "multipart";

/** One documented error: its code and the `detail` the server really sends with it. */
export interface DocumentedError {
  code: ErrorCode;
  detail: string;
}

type Operation = {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content?: Record<string, unknown> };
  parameters?: { in: string; name: string }[];
  responses?: Record<string, unknown>;
};

const tagDescriptions: Record<string, string> = {
  auth: "Sign-up, sign-in and token refresh; no bearer token needed.",
  account: "The signed-in member's own account and sessions.",
  credits: "The signed-in member's credits, transaction history, jobs and usage.",
  admin: "Operators (role `admin`): grant credits, create and update jobs, manage webhooks.",
};

const BODY_METHODS = new Set(["post", "put", "patch"]);

/** A field no input schema has: a strict object refuses it, naming it. */
export const UNKNOWN_FIELD_PROBE = { unexpected_field: "1" };

/**
 * The inputs the document's `VALIDATION_ERROR` example comes from, tried in order: an empty
 * input (the schema names the first required field), then an unknown field (strict objects
 * refuse it). Path parameters are filled in, as the REST edge does, with `"0"`.
 */
export function validationProbes(pathParams: string[]): Record<string, string>[] {
  const params = Object.fromEntries(pathParams.map((name) => [name, "0"]));
  return [{ ...params }, { ...UNKNOWN_FIELD_PROBE, ...params }];
}

/** `fields` as a multipart form, as the REST edge hands a multipart body to its procedure. */
export function formOf(fields: Record<string, string>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
}

/**
 * Whether an operation takes its input only in the path: a body method whose every input field is
 * a path parameter, so trpc-to-openapi documents and reads no body. Its only refusable input is an
 * out-of-bounds path parameter.
 */
export function inputInPathOnly(method: string, operation: { requestBody?: unknown }): boolean {
  return BODY_METHODS.has(method) && operation.requestBody === undefined;
}

/**
 * The `detail` a procedure answers to the first probe its input schema refuses, with the probe;
 * `undefined` when it takes no input or accepts every probe. This is what the server answers:
 * the input schema's first issue becomes `detail`.
 */
export function validationExample(
  procedure: AnyProcedure,
  pathParams: string[],
  pathOnly = false,
): { input: Record<string, string>; detail: string } | undefined {
  const parser = (procedure._def.inputs as { safeParse?: (v: unknown) => unknown }[])[0];
  if (parser?.safeParse === undefined) return undefined;
  // An input that takes an empty form is a multipart body: probe it with a form.
  const takesForm = (parser.safeParse(new FormData()) as { success: boolean }).success;
  const probes = takesForm
    ? [UNKNOWN_FIELD_PROBE]
    : pathOnly
    ? [Object.fromEntries(pathParams.map((name) => [name, "0".repeat(1000)]))]
    : validationProbes(pathParams);
  for (const input of probes) {
    const candidate = takesForm ? formOf(input) : input;
    const result = parser.safeParse(candidate) as {
      success: boolean;
      error?: { issues: { message: string }[] };
    };
    if (!result.success && result.error) return { input, detail: result.error.issues[0].message };
  }
  return undefined;
}

/**
 * Every error an operation can answer, in the order documented: body parsing (by `body`), input
 * validation, authentication and role (by the procedure builder), then the codes the procedure's
 * meta lists for its service. `validationDetail` is the example of `VALIDATION_ERROR`.
 */
export function operationErrors(
  procedure: AnyProcedure,
  body: BodyKind,
  validationDetail: string | undefined,
): DocumentedError[] {
  const codes: ErrorCode[] = [];
  if (body === "json") codes.push("MALFORMED_JSON", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE");
  if (body === "multipart") codes.push("MALFORMED_MULTIPART", "NOT_MULTIPART");
  if (validationDetail !== undefined) codes.push("VALIDATION_ERROR");
  const access = procedureAccess(procedure);
  if (access !== "public") codes.push("NOT_AUTHENTICATED", "INVALID_ACCESS_TOKEN");
  if (access === "admin") codes.push("FORBIDDEN");
  const meta = procedure._def.meta as Meta | undefined;
  for (const code of meta?.errors ?? []) if (!codes.includes(code)) codes.push(code);
  return codes.map((code) => ({
    code,
    detail: code === "VALIDATION_ERROR" && validationDetail !== undefined
      ? validationDetail
      : exampleDetail(code),
  }));
}

/** A `detail` the server really sends with `code`: the table's example, else its detail. */
export function exampleDetail(code: ErrorCode): string {
  const entry: { detail: string; example?: string } = errorCodes[code];
  return entry.example ?? entry.detail;
}

/** What a code means, for a response's description: the table's description, else its detail. */
export function codeDescription(code: ErrorCode): string {
  const entry: { detail: string; description?: string } = errorCodes[code];
  return entry.description ?? entry.detail;
}

/** The response object documenting `errors`, all of one status. */
function errorResponse(status: number, errors: DocumentedError[]) {
  const description = errors.length === 1
    ? codeDescription(errors[0].code)
    : errors.map(({ code }) => `- \`${code}\`: ${codeDescription(code)}`).join("\n");
  return {
    description,
    ...(status === 429
      ? {
        headers: {
          "Retry-After": {
            description: "Seconds to wait before trying again",
            schema: { type: "integer", minimum: 1 },
          },
        },
      }
      : {}),
    content: {
      "application/json": {
        schema: { $ref: "#/components/schemas/Error" },
        examples: Object.fromEntries(errors.map(({ code, detail }) => [code, {
          summary: codeDescription(code),
          value: { detail, code },
        }])),
      },
    },
  };
}

/** Response objects for `errors`, one per status in ascending order. */
function errorResponses(errors: DocumentedError[]): Record<string, unknown> {
  const byStatus = new Map<number, DocumentedError[]>();
  for (const error of errors) {
    const status = errorCodes[error.code].status;
    byStatus.set(status, [...byStatus.get(status) ?? [], error]);
  }
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map((
      [status, group],
    ) => [String(status), errorResponse(status, group)]),
  );
}

/**
 * The error responses of an operation the edge serves with no procedure behind it, from the same
 * table, descriptions and examples as every other operation.
 */
export function edgeErrorResponses(codes: ErrorCode[]): Record<string, unknown> {
  return errorResponses(codes.map((code) => ({ code, detail: exampleDetail(code) })));
}

function bodyKind(method: string, operation: Operation, takesInput: boolean): BodyKind {
  const content = operation.requestBody?.content ?? {};
  if ("multipart/form-data" in content) return "multipart";
  if ("application/json" in content) return "json";
  if (!takesInput || inputInPathOnly(method, operation)) return "none";
  return BODY_METHODS.has(method) ? "json" : "query";
}

/**
 * Each operation's procedure, by `"<method> <path>"`, including the ones the edge serves.
 * @throws {Error} when a procedure's meta still carries `openapi.errorResponses`
 */
export function proceduresByRoute(router: AnyRouter): Map<string, AnyProcedure> {
  const byRoute = new Map<string, AnyProcedure>();
  for (const procedure of Object.values(router._def.procedures as Record<string, AnyProcedure>)) {
    const meta = procedure._def.meta as Meta | undefined;
    if (meta?.openapi?.errorResponses !== undefined) {
      // Hand-written error responses drift from what the procedure answers; list codes instead.
      throw new Error(
        `${meta.openapi.method} ${meta.openapi.path}: replace openapi.errorResponses with ` +
          "meta.errors (the DomainError codes its service raises)",
      );
    }
    if (meta?.openapi) {
      byRoute.set(`${meta.openapi.method.toLowerCase()} ${meta.openapi.path}`, procedure);
    }
  }
  return byRoute;
}

/**
 * The OpenAPI 3.1 document of the REST API, generated from the router's `openapi` metadata and
 * then brought in line with what the edge really answers: each operation's error answers are
 * derived from its procedure (see `operationErrors`), one response per status with one example
 * per code; every error body is the `Error` schema whose `code` is the enum of `errorCodes`;
 * created resources answer 201; public operations need no token. `extraPaths` documents the
 * routes the edge serves itself; their procedures carry `openapi.enabled: false` meta.
 * `edgePaths` are operations with no procedure behind them (the OAuth flow's redirects and token
 * endpoint), added as written: their errors come from `edgeErrorResponses`.
 */
export function buildOpenApiDocument(
  router: AnyRouter,
  extraPaths: ExtraPaths = {},
  edgePaths: Record<string, unknown> = {},
): OpenAPIObject {
  const doc = generateOpenApiDocument(router, {
    title: "Vestibule",
    version: "1.0.0",
    description:
      "Self-hostable account service: the endpoints with which members manage their own account.",
    baseUrl: "/api/v1",
    license: { name: "MIT", identifier: "MIT" },
    contact: { name: "Vestibule maintainers", url: "https://github.com/vestibule" },
    tags: Object.keys(tagDescriptions),
    securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    paths: extraPaths,
  });
  doc.tags = Object.entries(tagDescriptions).map(([name, description]) => ({ name, description }));

  const procedures = proceduresByRoute(router);
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item as Record<string, Operation>)) {
      const procedure = procedures.get(`${method} ${path}`);
      if (procedure === undefined) throw new Error(`no procedure documents ${method} ${path}`);
      const meta = procedure._def.meta as Meta;
      operation.security = procedureAccess(procedure) === "public" ? [] : [{ bearer: [] }];
      const responses: Record<string, unknown> = {};
      for (const [code, response] of Object.entries(operation.responses ?? {})) {
        if (Number(code) < 400) responses[String(meta.successStatus ?? code)] = response;
      }
      const pathParams = (operation.parameters ?? []).filter((p) => p.in === "path")
        .map((p) => p.name);
      const takesInput = procedure._def.inputs.length > 0;
      const body = bodyKind(method, operation, takesInput);
      const validation = validationExample(
        procedure,
        pathParams,
        inputInPathOnly(method, operation),
      );
      const errors = operationErrors(procedure, body, validation?.detail);
      operation.responses = { ...responses, ...errorResponses(errors) };
    }
  }
  Object.assign(doc.paths ??= {}, edgePaths);

  doc.components ??= {};
  doc.components.schemas = {
    ...Object.fromEntries(
      Object.entries(doc.components.schemas ?? {}).filter(([name]) => !name.startsWith("error.")),
    ),
    Error: {
      type: "object",
      description: "Every error answer. `detail` is for a person; `code` is stable for programs.",
      required: ["detail", "code"],
      properties: {
        detail: { type: "string", examples: ["Invalid email or password"] },
        code: {
          type: "string",
          enum: Object.keys(errorCodes),
          description: "Stable: programs branch on it; its meaning never changes.",
        },
        errors: {
          type: "array",
          description: "On validation failures: every field at fault; `detail` repeats the first.",
          items: {
            type: "object",
            required: ["field", "message"],
            properties: { field: { type: "string" }, message: { type: "string" } },
          },
        },
      },
    },
  };
  return doc;
}
