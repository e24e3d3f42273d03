import assert from "node:assert/strict";
import { argon2idHasher } from "../../src/services/passwords.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("the edge", async (t) => {
  const server = await startTestServer({ LOG_REQUESTS: "true" });
  try {
    await t.step("/healthz answers ok", async () => {
      const res = await fetch(`${server.url}/healthz`);
      assert.deepEqual([res.status, await res.json()], [200, { status: "ok" }]);
    });

    await t.step("unknown paths are a JSON 404, inside and outside /api/v1", async () => {
      for (const path of ["/nope", "/api/v1/nope", "/api/v1/users/me/nope"]) {
        const res = await fetch(`${server.url}${path}`);
        assert.equal(res.status, 404, path);
        assert.deepEqual(await res.json(), { detail: "Not found", code: "NOT_FOUND" });
      }
    });

    await t.step("a known path with the wrong method is 405 with Allow", async () => {
      const res = await server.api("PUT", "/users/me");
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("allow"), "GET, PATCH, DELETE");
      assert.equal(res.body.detail, "Method not allowed");
    });

    await t.step("the OpenAPI document is served at both addresses", async () => {
      for (const path of ["/openapi.json", "/api/v1/openapi.json"]) {
        const doc = await (await fetch(`${server.url}${path}`)).json();
        assert.equal(doc.openapi, "3.1.0");
        assert.ok(doc.paths["/users/me"].get);
      }
    });

    await t.step("one JSON log line per request, without the query string, id echoed", async () => {
      server.logs.length = 0;
      const res = await fetch(`${server.url}/api/v1/users/me?token=secret-value`);
      await res.body?.cancel();
      const id = res.headers.get("x-request-id");
      assert.match(id!, /^[0-9a-f-]{36}$/);
      assert.equal(server.logs.length, 1);
      const line = server.logs[0];
      assert.deepEqual(
        { ...line, duration_ms: typeof line.duration_ms },
        {
          msg: "request",
          method: "GET",
          path: "/api/v1/users/me",
          status: 401,
          duration_ms: "number",
          request_id: id,
        },
      );
      assert.ok(!JSON.stringify(server.logs).includes("secret-value"));
    });
  } finally {
    await server.close();
  }
});

Deno.test("an unexpected failure is a generic 500 whose cause is logged with the request id", async () => {
  const server = await startTestServer({}, {
    passwords: {
      ...argon2idHasher(),
      hash: () => Promise.reject(new Error("disk on fire: SELECT secret")),
    },
  });
  try {
    const res = await server.api("POST", "/auth/register", {
      body: { email: "boom@example.com", password: "secure123" },
    });
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { detail: "Internal server error", code: "INTERNAL_ERROR" });
    const logged = server.logs.find((l) => l.level === "error");
    assert.equal(logged?.request_id, res.headers.get("x-request-id"));
    assert.match(String(logged?.error), /disk on fire/);

    const trpc = await fetch(`${server.url}/trpc/auth.register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "boom2@example.com", password: "secure123" }),
    });
    const body = await trpc.json();
    assert.equal(trpc.status, 500);
    assert.equal(body.error.message, "Internal server error");
    assert.ok(!JSON.stringify(body).includes("disk on fire"));
  } finally {
    await server.close();
  }
});
