import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import { renderOpenApi } from "../../src/openapi_write.ts";
import { registerAdmin, registerMember } from "../helpers/credits.ts";
import { type ApiResponse, startTestServer, type TestServer } from "../helpers/test_server.ts";

type Schema = Record<string, unknown>;
interface Operation {
  parameters?: { in: string; name: string; schema: Schema }[];
  requestBody?: { content: { "application/json": { schema: Schema } } };
}
const doc = JSON.parse(renderOpenApi()) as {
  paths: Record<string, Record<string, Operation>>;
};

// The document's own dialect (OpenAPI 3.1 = JSON Schema 2020-12); formats are not asserted, so
// the patterns alone must carry the rules, as they do for a generated client.
const ajv = new Ajv2020({ strict: false, validateFormats: false });

function bodySchema(method: string, path: string): Schema {
  return doc.paths[path][method].requestBody!.content["application/json"].schema;
}

function paramSchema(method: string, path: string, name: string): Schema {
  return doc.paths[path][method].parameters!.find((p) => p.name === name)!.schema;
}

/** One constrained field, with values on each side of its rule. */
interface Case {
  name: string;
  schema: () => Schema;
  /** The value as the document validates it (the body, or the parameter alone). */
  document: (value: string) => unknown;
  /** The server's answer to the value. */
  send: (server: TestServer, token: string, value: string) => Promise<ApiResponse>;
  good: string[];
  bad: string[];
}

let counter = 0;
const unique = () => `schema${++counter}@example.com`;

const cases: Case[] = [
  {
    name: "new password (register): 8 to 128 characters",
    schema: () => bodySchema("post", "/auth/register"),
    document: (password) => ({ email: "a@example.com", password }),
    send: (server, _token, password) =>
      server.api("POST", "/auth/register", { body: { email: unique(), password } }),
    good: ["Zq8#pLm2", "Zq8#pLm2".repeat(16)],
    bad: ["Zq8#pLm", "Zq8#pLm2".repeat(16) + "x"],
  },
  {
    name: "new password (change): 8 to 128 characters",
    schema: () => bodySchema("post", "/users/me/password"),
    document: (new_password) => ({ current_password: "secure123", new_password }),
    send: (server, token, new_password) =>
      server.api("POST", "/users/me/password", {
        token,
        body: { current_password: "wrong-password", new_password },
      }),
    good: ["Zq8#pLm2"],
    bad: ["Zq8#pLm", "Zq8#pLm2".repeat(16) + "x"],
  },
  {
    name: "email: the server's pattern, at most 254 characters",
    schema: () => bodySchema("post", "/auth/register"),
    document: (email) => ({ email, password: "secure123" }),
    send: (server, _token, email) =>
      server.api("POST", "/auth/register", { body: { email, password: "secure123" } }),
    good: [
      "first.last+tag@mail.example.com",
      " Padded@Example.ORG ",
      `${"a".repeat(242)}@example.com`,
    ],
    bad: [
      "a@b",
      "a@example.c",
      "a..b@example.com",
      ".a@example.com",
      "a.@example.com",
      "a b@example.com",
      "a@-example.com",
      "a@example.com.",
      `${"a".repeat(243)}@example.com`,
    ],
  },
  {
    name: "phone: +, then 7 to 15 digits with optional separators",
    schema: () => bodySchema("patch", "/users/me"),
    document: (phone) => ({ phone }),
    send: (server, token, phone) => server.api("PATCH", "/users/me", { token, body: { phone } }),
    good: [
      "+1 555 123 4567",
      "+4915112345678",
      " +44 (20) 7946-0958 ",
      "+1234567",
      "+123456789012345",
    ],
    bad: [
      "+1",
      "+123456",
      "+1234567890123456",
      "+0123456789",
      "15551234567",
      "+1 555 CALL NOW",
      "+",
    ],
  },
  {
    name: "presented password (sign-in): at least 1 character",
    schema: () => bodySchema("post", "/auth/login"),
    document: (password) => ({ email: "a@example.com", password }),
    send: (server, _token, password) =>
      server.api("POST", "/auth/login", { body: { email: "nobody@example.com", password } }),
    good: ["x"],
    bad: ["", "x".repeat(1025)],
  },
  {
    name: "presented password (account deletion): at least 1 character",
    schema: () => bodySchema("delete", "/users/me"),
    document: (password) => ({ password, confirmation: "DELETE MY ACCOUNT" }),
    send: (server, token, password) =>
      server.api("DELETE", "/users/me", {
        token,
        body: { password, confirmation: "DELETE MY ACCOUNT" },
      }),
    good: [], // a good password deletes the account; its 401 on a wrong one is tested elsewhere
    bad: [""],
  },
  {
    name: "deletion phrase: exactly DELETE MY ACCOUNT",
    schema: () => bodySchema("delete", "/users/me"),
    document: (confirmation) => ({ password: "secure123", confirmation }),
    send: (server, token, confirmation) =>
      server.api("DELETE", "/users/me", { token, body: { password: "secure123", confirmation } }),
    good: [],
    bad: ["delete my account", "DELETE MY ACCOUNT "],
  },
  {
    name: "session id: at most 100 characters",
    schema: () => paramSchema("delete", "/users/me/sessions/{id}", "id"),
    document: (id) => id,
    send: (server, token, id) => server.api("DELETE", `/users/me/sessions/${id}`, { token }),
    good: ["s".repeat(100)],
    bad: ["s".repeat(101)],
  },
];

Deno.test("each constrained field: the document and the server agree on both sides of the rule", async (t) => {
  const server = await startTestServer();
  try {
    const member = await registerMember(server);
    for (const c of cases) {
      await t.step(c.name, async () => {
        const validate = ajv.compile(c.schema());
        for (const value of c.good) {
          assert.ok(validate(c.document(value)), `document refuses ${JSON.stringify(value)}`);
          const response = await c.send(server, member.token, value);
          assert.notEqual(
            response.body?.code,
            "VALIDATION_ERROR",
            `server refuses ${JSON.stringify(value)}: ${response.body?.detail}`,
          );
        }
        for (const value of c.bad) {
          assert.ok(!validate(c.document(value)), `document accepts ${JSON.stringify(value)}`);
          const response = await c.send(server, member.token, value);
          assert.equal(response.status, 400, `server accepts ${JSON.stringify(value)}`);
          assert.equal(response.body.code, "VALIDATION_ERROR");
        }
      });
    }
  } finally {
    await server.close();
  }
});

/** The string (or integer) branch of a property schema, through `anyOf` with `null`. */
function scalar(schema: Schema): Schema | undefined {
  if (schema.type === "string" || schema.type === "integer") return schema;
  const branches = (schema.anyOf ?? []) as Schema[];
  return branches.map(scalar).find((branch) => branch !== undefined);
}

/** Values just past each documented bound of a scalar schema. */
function pastBounds(schema: Schema): unknown[] {
  const values: unknown[] = [];
  if (schema.type === "string") {
    if (typeof schema.maxLength === "number") values.push("x".repeat(schema.maxLength + 1));
    if (typeof schema.minLength === "number" && schema.minLength > 0) {
      values.push("x".repeat(schema.minLength - 1));
    }
  } else {
    if (typeof schema.maximum === "number" && schema.maximum < Number.MAX_SAFE_INTEGER) {
      values.push(schema.maximum + 1);
    }
    if (typeof schema.minimum === "number") values.push(schema.minimum - 1);
  }
  return values;
}

Deno.test("every documented length and range bound: just past it, the schema and the server both refuse, naming the field", async () => {
  const server = await startTestServer();
  try {
    const member = await registerMember(server);
    const admin = await registerAdmin(server);
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const url = path.replaceAll(/\{\w+\}/g, "0");
        const token = path.startsWith("/admin/") ? admin.token : member.token;
        const body = operation.requestBody?.content["application/json"]?.schema;
        const fields: { name: string; schema: Schema; where: "body" | "query" | "path" }[] = [];
        for (
          const [name, property] of Object.entries(
            (body?.properties ?? {}) as Record<string, Schema>,
          )
        ) {
          const schema = scalar(property);
          if (schema) fields.push({ name, schema, where: "body" });
        }
        for (const parameter of operation.parameters ?? []) {
          const schema = scalar(parameter.schema);
          if (schema) fields.push({ name: parameter.name, schema, where: parameter.in as "query" });
        }
        for (const field of fields) {
          const validate = ajv.compile(field.schema);
          for (const value of pastBounds(field.schema)) {
            assert.ok(!validate(value), `${path} ${field.name}: the schema accepts ${value}`);
            const response = field.where === "body"
              ? await server.api(method.toUpperCase(), url, {
                token,
                body: { [field.name]: value },
              })
              : field.where === "query"
              ? await server.api(
                method.toUpperCase(),
                `${url}?${new URLSearchParams({ [field.name]: String(value) })}`,
                { token },
              )
              : await server.api(
                method.toUpperCase(),
                path.replace(`{${field.name}}`, encodeURIComponent(String(value))),
                { token },
              );
            assert.equal(response.status, 400, `${method} ${path} ${field.name}=${value}`);
            assert.ok(
              (response.body.errors ?? []).some((e: { field: string }) => e.field === field.name),
              `${method} ${path} ${field.name}=${value}: ${JSON.stringify(response.body)}`,
            );
            checked++;
          }
        }
      }
    }
    assert.ok(checked >= 25, `only ${checked} bounds checked`);
  } finally {
    await server.close();
  }
});
