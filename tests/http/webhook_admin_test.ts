import assert from "node:assert/strict";
import { runCli } from "../../src/cli.ts";
import { webhookEventTypes } from "../../src/schemas/webhooks.ts";
import { createWebhook } from "../../src/services/webhooks.ts";
import { registerAdmin, registerMember } from "../helpers/credits.ts";
import { startTestServer, type TestServer } from "../helpers/test_server.ts";
import { startReceiver } from "../helpers/webhook_receiver.ts";

async function settle(server: TestServer): Promise<void> {
  await server.deps.background.idle();
  await server.deps.webhooks.idle();
}

Deno.test("webhook operator API", async (t) => {
  const server = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true" });
  try {
    const admin = await registerAdmin(server);
    const member = await registerMember(server);
    const url = "http://127.0.0.1:9/hooks";
    let id = "";
    let secret = "";

    await t.step("create answers 201 with the secret, once", async () => {
      const res = await server.api("POST", "/admin/webhooks", {
        token: admin.token,
        body: { url, events: ["user.created", "user.purged"], description: "product" },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ({ id, secret } = res.body);
      assert.match(id, /^wh_/);
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.deepEqual(res.body, {
        id,
        url,
        events: ["user.created", "user.purged"],
        description: "product",
        enabled: true,
        disabled_reason: null,
        secret,
        created_at: "2026-11-23T10:00:00.000Z",
        updated_at: "2026-11-23T10:00:00.000Z",
      });
      const rows = await server.deps.db.selectFrom("webhook_endpoints").selectAll().execute();
      assert.ok(!JSON.stringify(rows).includes(secret.slice(6)), "stored sealed only");
    });

    await t.step("list and get never show the secret", async () => {
      const list = await server.api("GET", "/admin/webhooks", { token: admin.token });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.webhooks.map((w: { id: string }) => w.id), [id]);
      const one = await server.api("GET", `/admin/webhooks/${id}`, { token: admin.token });
      assert.equal(one.status, 200);
      assert.equal(one.body.secret, undefined);
      assert.ok(!JSON.stringify([list.body, one.body]).includes("whsec_"));
      const trpcList = await server.trpc(admin.token).webhooks.list.query();
      assert.deepEqual(trpcList, list.body);
    });

    await t.step("patch changes url, events and enabled", async () => {
      const res = await server.api("PATCH", `/admin/webhooks/${id}`, {
        token: admin.token,
        body: { events: [], enabled: false, url: "http://127.0.0.1:10/hooks" },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual([res.body.events, res.body.enabled, res.body.url], [
        [],
        false,
        "http://127.0.0.1:10/hooks",
      ]);
    });

    await t.step("bad input is a 400 with a clear detail and changes nothing", async () => {
      const bad: [unknown, string][] = [
        [{ url: "ftp://example.com/x" }, "url must use http or https"],
        [{ url: "nope" }, "url must be an absolute http or https URL"],
        [{}, "url is required"],
        [
          { url, events: ["user.exploded"] },
          "events must only hold known event types: " +
          webhookEventTypes.join(", "),
        ],
        [{ url, secret: "whsec_mine" }, "Unknown field: secret"],
      ];
      for (const [body, detail] of bad) {
        const res = await server.api("POST", "/admin/webhooks", { token: admin.token, body });
        assert.deepEqual([res.status, res.body.detail], [400, detail], JSON.stringify(body));
      }
      const patch = await server.api("PATCH", `/admin/webhooks/${id}`, {
        token: admin.token,
        body: { url: "gopher://x" },
      });
      assert.deepEqual([patch.status, patch.body.detail], [400, "url must use http or https"]);
      const page = await server.api("GET", `/admin/webhooks/${id}/deliveries?limit=500`, {
        token: admin.token,
      });
      assert.deepEqual([page.status, page.body.detail], [400, "limit must be between 1 and 100"]);
      const urls = await server.deps.db.selectFrom("webhook_endpoints").select("url").execute();
      assert.deepEqual(urls.map((row) => row.url), ["http://127.0.0.1:10/hooks"]);
    });

    await t.step("unknown ids are 404", async () => {
      const calls = [
        ["GET", "/admin/webhooks/wh_nope"],
        ["PATCH", "/admin/webhooks/wh_nope", { enabled: true }],
        ["DELETE", "/admin/webhooks/wh_nope"],
        ["POST", "/admin/webhooks/wh_nope/rotate-secret"],
        ["GET", "/admin/webhooks/wh_nope/deliveries"],
      ] as const;
      for (const [method, path, body] of calls) {
        const res = await server.api(method, path, { token: admin.token, body });
        assert.deepEqual([res.status, res.body], [404, {
          detail: "Webhook endpoint not found",
          code: "WEBHOOK_NOT_FOUND",
        }], `${method} ${path}`);
      }
      const retry = await server.api("POST", "/admin/webhooks/deliveries/whd_nope/retry", {
        token: admin.token,
      });
      assert.deepEqual([retry.status, retry.body.code], [404, "WEBHOOK_DELIVERY_NOT_FOUND"]);
    });

    await t.step("members get 403, strangers 401", async () => {
      const calls = [
        ["GET", "/admin/webhooks/event-types"],
        ["POST", "/admin/webhooks", { url }],
        ["GET", "/admin/webhooks"],
        ["GET", `/admin/webhooks/${id}`],
        ["PATCH", `/admin/webhooks/${id}`, { enabled: true }],
        ["DELETE", `/admin/webhooks/${id}`],
        ["POST", `/admin/webhooks/${id}/rotate-secret`],
        ["GET", `/admin/webhooks/${id}/deliveries`],
        ["POST", "/admin/webhooks/deliveries/whd_x/retry"],
      ] as const;
      for (const [method, path, body] of calls) {
        const res = await server.api(method, path, { token: member.token, body });
        assert.deepEqual([res.status, res.body.detail], [403, "Admin access required"], path);
        const anonymous = await server.api(method, path, { body });
        assert.equal(anonymous.status, 401, path);
      }
      await assert.rejects(server.trpc(member.token).webhooks.list.query(), /Admin access/);
      const rows = await server.deps.db.selectFrom("webhook_endpoints").select("enabled").execute();
      assert.deepEqual(rows.map((row) => row.enabled), [0], "nothing changed");
    });

    await t.step("event-types: every event with the JSON Schema of its payload", async () => {
      const res = await server.api("GET", "/admin/webhooks/event-types", { token: admin.token });
      assert.equal(res.status, 200);
      const types = res.body.event_types;
      assert.deepEqual(types.map((e: { type: string }) => e.type), webhookEventTypes);
      for (const { type, description, schema } of types) {
        assert.ok(description.length > 0, type);
        assert.deepEqual(schema.required, ["type", "timestamp", "data"], type);
        assert.equal(schema.properties.type.const, type);
        assert.ok(schema.properties.data.required.includes("user_id"), type);
      }
      const purged = types.find((e: { type: string }) => e.type === "user.purged");
      assert.deepEqual(Object.keys(purged.schema.properties.data.properties), ["user_id"]);
    });

    await t.step("deliveries are paginated, newest first", async () => {
      await server.api("PATCH", `/admin/webhooks/${id}`, {
        token: admin.token,
        body: { enabled: true, url: "http://127.0.0.1:9/hooks" },
      });
      await server.api("POST", "/admin/webhooks", {
        token: admin.token,
        body: { url: "http://127.0.0.1:9/other", events: ["credits.granted"] },
      });
      for (const name of ["Aa", "Bb", "Cc"]) {
        await server.api("PATCH", "/users/me", { token: member.token, body: { name } });
      }
      await settle(server);
      const page = await server.api("GET", `/admin/webhooks/${id}/deliveries?page=2&limit=2`, {
        token: admin.token,
      });
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.deepEqual(page.body.pagination, { page: 2, limit: 2, total: 3, pages: 2 });
      const [oldest] = page.body.deliveries;
      assert.equal(oldest.type, "user.updated");
      assert.equal(oldest.status, "pending");
      assert.equal(oldest.attempts, 1, "port 9 refuses: tried once, waiting to retry");
      assert.equal(oldest.last_status_code, null);
      assert.equal(oldest.next_attempt_at, "2026-11-23T10:00:30.000Z");
      assert.match(oldest.event_id, /^msg_/);
    });

    await t.step("delete removes the endpoint and its deliveries", async () => {
      const res = await server.api("DELETE", `/admin/webhooks/${id}`, { token: admin.token });
      assert.deepEqual([res.status, res.body], [200, { message: "Webhook endpoint deleted" }]);
      const left = await server.deps.db.selectFrom("webhook_deliveries").select("id")
        .where("endpoint_id", "=", id).execute();
      assert.deepEqual(left, []);
    });
  } finally {
    await server.close();
  }
});

Deno.test("without WEBHOOK_ALLOW_PRIVATE a private URL is refused, at registration and at connection", async () => {
  const server = await startTestServer();
  const receiver = startReceiver(server.clock);
  try {
    const admin = await registerAdmin(server);
    for (
      const url of [
        receiver.url,
        "http://10.0.0.8/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/hooks",
        "http://[::ffff:192.168.0.1]/hooks",
      ]
    ) {
      const res = await server.api("POST", "/admin/webhooks", {
        token: admin.token,
        body: { url },
      });
      assert.deepEqual([res.status, res.body.detail], [
        400,
        "url points to a private, loopback or link-local address (set WEBHOOK_ALLOW_PRIVATE=true to allow it)",
      ], url);
    }
    assert.deepEqual(
      await server.deps.db.selectFrom("webhook_endpoints").select("id").execute(),
      [],
    );

    // A name that resolved to a public address when registered and points inward later (DNS
    // rebinding) is caught again before each attempt: register past the first check.
    const endpoint = await createWebhook(
      { ...server.deps, checkWebhookUrl: () => Promise.resolve(null) },
      null,
      { url: receiver.url },
      { ip: null, userAgent: null },
    );
    receiver.setSecrets([endpoint.secret]);
    await registerMember(server);
    await settle(server);
    assert.deepEqual(receiver.seen, [], "nothing reached the private address");
    const [delivery] = (await server.api("GET", `/admin/webhooks/${endpoint.id}/deliveries`, {
      token: admin.token,
    })).body.deliveries;
    assert.equal(delivery.status, "pending");
    assert.match(delivery.last_response, /^Refused: url points to a private/);
  } finally {
    await receiver.close();
    await server.close();
  }
});

Deno.test("cli webhook add, list and remove", async () => {
  const server = await startTestServer();
  const printed: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (line: string) => printed.push(line);
  console.error = (line: string) => printed.push(line);
  try {
    const env = { DATA_DIR: server.dataDir };
    assert.equal(await runCli(["webhook", "add", "http://127.0.0.1:9/x"], env), 1);
    assert.match(printed.pop()!, /private, loopback or link-local/);
    const privateEnv = { ...env, WEBHOOK_ALLOW_PRIVATE: "true" };
    assert.equal(
      await runCli(["webhook", "add", "http://127.0.0.1:9/x", "user.purged"], privateEnv),
      0,
    );
    const created = JSON.parse(printed.pop()!);
    assert.match(created.secret, /^whsec_/);
    assert.deepEqual(created.events, ["user.purged"]);
    assert.equal(await runCli(["webhook", "add", "http://127.0.0.1:9/x", "nope"], privateEnv), 1);
    assert.equal(printed.pop(), "Unknown event type: nope");
    assert.equal(await runCli(["webhook", "list"], env), 0);
    const listed = JSON.parse(printed.pop()!);
    assert.deepEqual(listed.map((w: { id: string }) => w.id), [created.id]);
    assert.ok(!JSON.stringify(listed).includes("whsec_"));
    assert.equal(await runCli(["webhook", "remove", created.id], env), 0);
    assert.equal(await runCli(["webhook", "remove", created.id], env), 1);
    assert.equal(printed.pop(), "Webhook endpoint not found");
    assert.equal(await runCli(["webhook", "frobnicate"], env), 2);
    assert.deepEqual(
      await server.deps.db.selectFrom("webhook_endpoints").select("id").execute(),
      [],
    );
  } finally {
    console.log = log;
    console.error = error;
    await server.close();
  }
});
