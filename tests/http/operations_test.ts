import assert from "node:assert/strict";
import { sql } from "kysely";
import { startTestServer } from "../helpers/test_server.ts";

const LAST_MIGRATION = "2026_11_23_0003_credits";

Deno.test("/readyz is 200 only while the database answers and every migration is applied; /healthz stays liveness", async () => {
  const server = await startTestServer();
  try {
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: "ready" });

    const { rows } = await sql<{ name: string; timestamp: string }>`
      select name, timestamp from kysely_migration where name = ${LAST_MIGRATION}`
      .execute(server.deps.db);
    await sql`delete from kysely_migration where name = ${LAST_MIGRATION}`.execute(server.deps.db);
    const pending = await fetch(`${server.url}/readyz`);
    assert.equal(pending.status, 503);
    assert.deepEqual(await pending.json(), {
      detail: `Migrations pending: ${LAST_MIGRATION}`,
      code: "NOT_READY",
    });
    const live = await fetch(`${server.url}/healthz`);
    assert.equal(live.status, 200, "liveness does not depend on the schema");
    await live.body?.cancel();
    await sql`insert into kysely_migration (name, timestamp) values (${rows[0].name}, ${
      rows[0].timestamp
    })`.execute(server.deps.db);
    assert.equal(
      (await fetch(`${server.url}/readyz`).then((r) => (r.body?.cancel(), r))).status,
      200,
    );
  } finally {
    await server.close();
  }
});

Deno.test("/readyz is 503 'Database unavailable' when the database does not answer", async () => {
  const server = await startTestServer();
  try {
    const db = server.deps.db;
    // A database that no longer answers: its connection is closed under the server.
    await db.destroy();
    const response = await fetch(`${server.url}/readyz`);
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { detail: "Database unavailable", code: "NOT_READY" });
    assert.ok(server.logs.some((l) => l.msg === "readiness check failed" && l.level === "error"));
  } finally {
    // The database is closed already; stop what else the server started.
    await server.close().catch(() => {});
  }
});

Deno.test("an incoming X-Request-Id is kept and echoed when valid, replaced when not, and logged", async () => {
  const server = await startTestServer({ LOG_REQUESTS: "true" });
  try {
    const idOf = async (header?: string) => {
      const response = await fetch(`${server.url}/healthz`, {
        headers: header === undefined ? {} : { "x-request-id": header },
      });
      await response.body?.cancel();
      return response.headers.get("x-request-id")!;
    };
    assert.equal(await idOf("edge-01:abc.DEF_9-z"), "edge-01:abc.DEF_9-z");
    assert.equal(await idOf("x".repeat(128)), "x".repeat(128));
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const bad of ["x".repeat(129), "has space", 'quote"', "new\\nline", "é"]) {
      assert.match(await idOf(bad), uuid, bad);
    }
    assert.match(await idOf(), uuid);
    assert.ok(
      server.logs.some((l) => l.msg === "request" && l.request_id === "edge-01:abc.DEF_9-z"),
    );
  } finally {
    await server.close();
  }
});
