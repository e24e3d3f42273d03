import assert from "node:assert/strict";
import {
  codeDescription,
  exampleDetail,
  formOf,
  inputInPathOnly,
  proceduresByRoute,
  UNKNOWN_FIELD_PROBE,
  validationExample,
} from "../../src/http/openapi.ts";
import { renderOpenApi } from "../../src/openapi_write.ts";
import { type ErrorCode, errorCodes } from "../../src/services/errors.ts";
import { appRouter } from "../../src/trpc/app_router.ts";
import type { Meta } from "../../src/trpc/init.ts";
import { registerAdmin, registerMember } from "../helpers/credits.ts";
import { type ApiResponse, startTestServer } from "../helpers/test_server.ts";

interface Example {
  summary: string;
  value: { detail: string; code: ErrorCode };
}
interface Response {
  description: string;
  headers?: Record<string, unknown>;
  content?: { "application/json"?: { examples?: Record<string, Example> } };
}
interface Operation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, unknown> };
  security: unknown[];
  responses: Record<string, Response>;
}

const doc = JSON.parse(renderOpenApi()) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
};
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ path, method, operation }))
);
const procedures = proceduresByRoute(appRouter);

/** The documented errors of one operation: `"<status> <code>"` → the documented detail. */
function documented(operation: Operation): Map<string, string> {
  const errors = new Map<string, string>();
  for (const [status, response] of Object.entries(operation.responses)) {
    for (const example of Object.values(response.content?.["application/json"]?.examples ?? {})) {
      errors.set(`${status} ${example.value.code}`, example.value.detail);
    }
  }
  return errors;
}

/** Fails unless the server's error answer is one the operation documents, detail included. */
function assertDocumented(method: string, path: string, response: ApiResponse): void {
  const operation = doc.paths[path][method];
  const key = `${response.status} ${response.body?.code}`;
  const detail = documented(operation).get(key);
  assert.ok(
    detail !== undefined,
    `${method.toUpperCase()} ${path} answered ${key} (${response.body?.detail}), not documented`,
  );
  assert.equal(response.body.detail, detail, `${method.toUpperCase()} ${path} ${key}`);
  if (response.status === 429) assert.match(response.headers.get("retry-after") ?? "", /^\d+$/);
}

Deno.test("every documented error is in the error table, at its status, with a detail the procedure produces", () => {
  for (const { path, method, operation } of operations) {
    const procedure = procedures.get(`${method} ${path}`)!;
    const pathParams = (operation.parameters ?? []).filter((p) => p.in === "path").map((p) =>
      p.name
    );
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) < 400) continue;
      const examples = Object.values(response.content?.["application/json"]?.examples ?? {});
      assert.ok(examples.length > 0, `${method} ${path} ${status} has no example`);
      for (const { value: { code, detail }, summary } of examples) {
        assert.ok(code in errorCodes, `${method} ${path}: unknown code ${code}`);
        assert.equal(errorCodes[code].status, Number(status), `${method} ${path} ${code}`);
        assert.equal(summary, codeDescription(code));
        const expected = code === "VALIDATION_ERROR"
          ? validationExample(procedure, pathParams, inputInPathOnly(method, operation))?.detail
          : exampleDetail(code);
        assert.equal(detail, expected, `${method} ${path} ${code}`);
      }
    }
  }
});

Deno.test("every 4xx description says what its own codes mean, and no two codes share one", () => {
  const descriptions = Object.keys(errorCodes).map((code) => codeDescription(code as ErrorCode));
  assert.equal(new Set(descriptions).size, descriptions.length);
  for (const { path, method, operation } of operations) {
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) < 400) continue;
      const codes = Object.values(response.content!["application/json"]!.examples!)
        .map((example) => example.value.code);
      const expected = codes.length === 1
        ? codeDescription(codes[0])
        : codes.map((code) => `- \`${code}\`: ${codeDescription(code)}`).join("\n");
      assert.equal(response.description, expected, `${method} ${path} ${status}`);
      assert.equal(status === "429", response.headers?.["Retry-After"] !== undefined);
    }
  }
});

Deno.test("a procedure documents only codes some module really throws", async () => {
  const sources: string[] = [];
  for await (const file of walk(new URL("../../src/", import.meta.url))) {
    sources.push(await Deno.readTextFile(file));
  }
  const thrown = new Set(
    sources.flatMap((text) => [...text.matchAll(/DomainError\(\s*"([A-Z_]+)"/g)].map((m) => m[1])),
  );
  // Codes thrown through a table rather than a literal: the image rejections.
  for (const code of ["UNSUPPORTED_IMAGE_TYPE", "IMAGE_TOO_LARGE", "IMAGE_UNREADABLE"]) {
    thrown.add(code);
  }
  for (const [route, procedure] of procedures) {
    for (const code of (procedure._def.meta as Meta).errors ?? []) {
      assert.ok(thrown.has(code), `${route} documents ${code}, which nothing throws`);
    }
  }
});

Deno.test("the Error schema's code is the enum of the stable codes", () => {
  assert.deepEqual(
    doc.components.schemas.Error.properties.code.enum,
    Object.keys(errorCodes),
  );
});

async function* walk(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walk(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}

Deno.test("the server's real error answers are the documented ones, detail for detail", async (t) => {
  const server = await startTestServer({ MAX_BODY_BYTES: "1024" });
  try {
    const member = await registerMember(server);
    const admin = await registerAdmin(server);
    const url = (path: string) => path.replaceAll(/\{\w+\}/g, "0");

    await t.step("without a token, with a bad token, without the admin role", async () => {
      for (const { path, method, operation } of operations) {
        if (operation.security.length === 0) continue;
        const m = method.toUpperCase();
        assertDocumented(method, path, await server.api(m, url(path)));
        assertDocumented(method, path, await server.api(m, url(path), { token: "nonsense" }));
        if (path.startsWith("/admin/")) {
          assertDocumented(method, path, await server.api(m, url(path), { token: member.token }));
        }
      }
    });

    await t.step("malformed, oversized, non-JSON and invalid bodies", async () => {
      for (const { path, method, operation } of operations) {
        const procedure = procedures.get(`${method} ${path}`);
        // The OAuth flow's edge routes answer in RFC 6749's form: tests/http/oidc_test.ts.
        if (procedure === undefined) continue;
        const token = path.startsWith("/admin/") ? admin.token : member.token;
        const m = method.toUpperCase();
        const content = operation.requestBody?.content ?? {};
        if ("application/json" in content || "multipart/form-data" in content) {
          // A body of a type the operation does not read.
          assertDocumented(
            method,
            path,
            await server.api(m, url(path), {
              token,
              body: "x",
              headers: { "content-type": "text/plain" },
            }),
          );
        }
        if ("application/json" in content) {
          assertDocumented(method, path, await server.api(m, url(path), { token, body: "{" }));
          assertDocumented(
            method,
            path,
            await server.api(m, url(path), {
              token,
              body: JSON.stringify({ x: "a".repeat(2000) }),
            }),
          );
        }
        if ("multipart/form-data" in content) {
          const unknown = formOf(UNKNOWN_FIELD_PROBE);
          assertDocumented(method, path, await server.api(m, url(path), { token, body: unknown }));
        }
        const pathParams = (operation.parameters ?? []).filter((p) => p.in === "path")
          .map((p) => p.name);
        const pathOnly = inputInPathOnly(method, operation);
        const probe = validationExample(procedure, pathParams, pathOnly);
        if (probe === undefined || "multipart/form-data" in content) continue;
        const input = Object.fromEntries(
          Object.entries(probe.input).filter(([name]) => !pathParams.includes(name)),
        );
        const response = pathOnly
          ? await server.api(m, path.replaceAll(/\{(\w+)\}/g, (_, name) => probe.input[name]), {
            token,
          })
          : "application/json" in content
          ? await server.api(m, url(path), { token, body: input })
          : await server.api(m, `${url(path)}?${new URLSearchParams(input)}`, { token });
        assert.equal(response.body.code, "VALIDATION_ERROR", `${m} ${path}`);
        assertDocumented(method, path, response);
      }
    });

    await t.step("the services' own refusals", async () => {
      const wrongLogin = await server.api("POST", "/auth/login", {
        body: { email: member.email, password: "wrong-password" },
      });
      assertDocumented("post", "/auth/login", wrongLogin);
      assertDocumented(
        "post",
        "/auth/register",
        await server.api("POST", "/auth/register", {
          body: { email: member.email, password: "secure123" },
        }),
      );
      assertDocumented(
        "delete",
        "/users/me/sessions/{id}",
        await server.api("DELETE", `/users/me/sessions/${crypto.randomUUID()}`, {
          token: member.token,
        }),
      );
      assertDocumented(
        "post",
        "/users/me/password",
        await server.api("POST", "/users/me/password", {
          token: member.token,
          body: { current_password: "wrong-password", new_password: "another-secret-9" },
        }),
      );
      assertDocumented(
        "post",
        "/admin/users/{id}/credits",
        await server.api("POST", `/admin/users/${crypto.randomUUID()}/credits`, {
          token: admin.token,
          body: { amount: 5, source: "promo" },
        }),
      );
      const granted = await server.api("POST", `/admin/users/${member.id}/credits`, {
        token: admin.token,
        body: { amount: 5, source: "promo" },
      });
      assert.equal(granted.status, 201, JSON.stringify(granted.body));
      const job = await server.api("POST", `/admin/users/${member.id}/jobs`, {
        token: admin.token,
        body: { kind: "render", credits_cost: 1 },
      });
      assert.equal(job.status, 201, JSON.stringify(job.body));
      for (const status of ["running", "succeeded"]) {
        const moved = await server.api("PATCH", `/admin/jobs/${job.body.id}`, {
          token: admin.token,
          body: { status },
        });
        assert.equal(moved.status, 200);
      }
      assertDocumented(
        "patch",
        "/admin/jobs/{id}",
        await server.api("PATCH", `/admin/jobs/${job.body.id}`, {
          token: admin.token,
          body: { status: "running" },
        }),
      );
      assertDocumented(
        "post",
        "/admin/users/{id}/jobs",
        await server.api("POST", `/admin/users/${member.id}/jobs`, {
          token: admin.token,
          body: { kind: "render", credits_cost: 50 },
        }),
      );
      assertDocumented(
        "get",
        "/users/me/transactions",
        await server.api(
          "GET",
          "/users/me/transactions?start_date=2026-02-01&end_date=2026-01-01",
          {
            token: member.token,
          },
        ),
      );
      let limited: ApiResponse | undefined;
      for (let i = 0; i < 50 && limited === undefined; i++) {
        const response = await server.api("POST", "/auth/password/forgot", {
          body: { email: member.email },
        });
        if (response.status === 429) limited = response;
      }
      assert.ok(limited, "forgot-password was never limited");
      assertDocumented("post", "/auth/password/forgot", limited);
    });
  } finally {
    await server.close();
  }
});

Deno.test("a procedure with hand-written errorResponses is refused, naming meta.errors", async () => {
  const { initTRPC } = await import("@trpc/server");
  const { z } = await import("zod");
  const t = initTRPC.meta<Meta>().create();
  const router = t.router({
    ping: t.procedure
      .meta({ openapi: { method: "GET", path: "/ping", errorResponses: { 400: "Bad" } } })
      .output(z.object({ ok: z.boolean() }))
      .query(() => ({ ok: true })),
  });
  assert.throws(
    () => proceduresByRoute(router),
    /replace openapi\.errorResponses with meta\.errors/,
  );
});
