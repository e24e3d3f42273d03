import type { AnyProcedure, AnyRouter } from "@trpc/server";
import { generateOpenApiDocument } from "trpc-to-openapi";
import type { OpenAPIObject } from "trpc-to-openapi";

/** An error response in the document: any status answers with the `Error` schema. */
export function errorResponseObject(description: string) {
  return {
    description,
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  };
}

/** Paths documented by hand for the routes the edge serves itself, in zod-openapi's form. */
export type ExtraPaths = NonNullable<Parameters<typeof generateOpenApiDocument>[1]["paths"]>;
import type { Meta } from "../trpc/init.ts";

type Operation = {
  operationId?: string;
  security?: unknown[];
  responses?: Record<string, { description: string; content?: unknown }>;
};

const tagDescriptions: Record<string, string> = {
  auth: "Sign-up, sign-in and token refresh; no bearer token needed.",
  account: "The signed-in member's own account and sessions.",
  credits: "The signed-in member's credits, transaction history, jobs and usage.",
  admin: "Operators (role `admin`): grant credits, create and update jobs, manage webhooks.",
};

/**
 * The OpenAPI 3.1 document of the REST API, generated from the router's `openapi` metadata and
 * then brought in line with what the edge really answers: every error body is the `Error` schema
 * (`detail`, `code`, `errors`), created resources answer 201, public operations need no token.
 * `extraPaths` documents the routes the edge serves itself.
 */
export function buildOpenApiDocument(
  router: AnyRouter,
  extraPaths: ExtraPaths = {},
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

  const successStatus = new Map<string, number>();
  for (const procedure of Object.values(router._def.procedures as Record<string, AnyProcedure>)) {
    const meta = procedure._def.meta as Meta | undefined;
    if (meta?.openapi && meta.successStatus) {
      successStatus.set(
        `${meta.openapi.method.toLowerCase()} ${meta.openapi.path}`,
        meta.successStatus,
      );
    }
  }

  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item as Record<string, Operation>)) {
      if (operation.security === undefined) operation.security = [];
      const responses = operation.responses ?? {};
      const status = successStatus.get(`${method} ${path}`);
      if (status !== undefined && responses["200"]) {
        responses[String(status)] = responses["200"];
        delete responses["200"];
      }
      for (const [code, response] of Object.entries(responses)) {
        if (Number(code) >= 400) {
          responses[code] = errorResponseObject(response.description);
        }
      }
    }
  }

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
        code: { type: "string", examples: ["INVALID_CREDENTIALS"] },
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
