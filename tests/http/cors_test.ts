import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { startTestServer } from "../helpers/test_server.ts";

const APP = "https://app.example.com";
const OTHER = "https://evil.example.net";

function preflight(url: string, origin: string, method = "POST"): Promise<Response> {
  return fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "authorization, content-type, x-request-id",
    },
  });
}

/** Every `Access-Control-*` header of a response. */
function corsHeaders(response: Response): string[] {
  return [...response.headers.keys()].filter((name) => name.startsWith("access-control-"));
}

Deno.test("CORS at the edge", async (t) => {
  const server = await startTestServer({ CORS_ORIGINS: `${APP}, http://127.0.0.1:5173` });
  try {
    await t.step("a preflight from a listed origin gets 204 and the grant", async () => {
      for (
        const path of ["/api/v1/auth/login", "/api/v1/users/me", "/trpc/users.me", "/openapi.json"]
      ) {
        const res = await preflight(`${server.url}${path}`, APP);
        await res.body?.cancel();
        assert.equal(res.status, 204, path);
        assert.equal(res.headers.get("access-control-allow-origin"), APP);
        assert.equal(res.headers.get("access-control-allow-methods"), "GET, POST, PATCH, DELETE");
        assert.equal(
          res.headers.get("access-control-allow-headers"),
          "Authorization, Content-Type, X-Request-Id",
        );
        assert.equal(res.headers.get("access-control-max-age"), "7200");
        assert.equal(res.headers.get("access-control-allow-credentials"), null);
        assert.match(res.headers.get("vary") ?? "", /\bOrigin\b/);
      }
      const second = await preflight(
        `${server.url}/api/v1/users/me`,
        "http://127.0.0.1:5173",
        "GET",
      );
      await second.body?.cancel();
      assert.equal(second.headers.get("access-control-allow-origin"), "http://127.0.0.1:5173");
    });

    await t.step("a preflight from any other origin gets no grant", async () => {
      for (
        const origin of [
          OTHER,
          "null",
          `${APP}:443`,
          "https://app.example.com.evil.net",
          "http://app.example.com",
        ]
      ) {
        const res = await preflight(`${server.url}/api/v1/auth/login`, origin);
        await res.body?.cancel();
        assert.equal(res.status, 204, origin);
        assert.deepEqual(corsHeaders(res), [], origin);
        assert.equal(res.headers.get("vary"), "Origin", `${origin}: Vary once, not twice`);
      }
    });

    await t.step(
      "an actual answer echoes a listed origin with Vary and exposed headers",
      async () => {
        const { access_token } = await server.register();
        for (const path of ["/api/v1/users/me", "/trpc/users.me"]) {
          const res = await fetch(`${server.url}${path}`, {
            headers: { origin: APP, authorization: `Bearer ${access_token}` },
          });
          await res.body?.cancel();
          assert.equal(res.status, 200, path);
          assert.equal(res.headers.get("access-control-allow-origin"), APP);
          assert.equal(
            res.headers.get("access-control-expose-headers"),
            "X-Request-Id, Retry-After",
          );
          assert.match(res.headers.get("vary") ?? "", /(^|, )Origin$/, path);
        }
        const error = await server.api("GET", "/users/me", { headers: { origin: APP } });
        assert.equal(error.status, 401);
        assert.equal(error.headers.get("access-control-allow-origin"), APP, "errors too");
      },
    );

    await t.step("an actual answer to another origin carries no CORS header", async () => {
      const res = await server.api("GET", "/users/me", { headers: { origin: OTHER } });
      assert.equal(res.status, 401);
      assert.deepEqual(corsHeaders(new Response(null, { headers: res.headers })), []);
      assert.equal(res.headers.get("vary"), "Origin");
    });

    await t.step("without Origin nothing CORS is added", async () => {
      const res = await server.api("GET", "/users/me");
      assert.deepEqual(corsHeaders(new Response(null, { headers: res.headers })), []);
      assert.equal(res.headers.get("vary"), null);
    });

    await t.step("pages and health are not part of the API's CORS", async () => {
      for (const path of ["/healthz", "/verify-email?token=x", "/docs"]) {
        const res = await fetch(`${server.url}${path}`, { headers: { origin: APP } });
        await res.body?.cancel();
        assert.deepEqual(corsHeaders(res), [], path);
      }
    });

    await t.step("an OPTIONS that is not a preflight is routed as usual (405)", async () => {
      const res = await server.api("OPTIONS", "/users/me", { headers: { origin: APP } });
      assert.equal(res.status, 405);
      assert.equal(res.body.detail, "Method not allowed");
    });
  } finally {
    await server.close();
  }
});

Deno.test("without CORS_ORIGINS no origin is granted", async () => {
  const server = await startTestServer();
  try {
    const res = await preflight(`${server.url}/api/v1/auth/login`, APP);
    await res.body?.cancel();
    assert.equal(res.status, 204);
    assert.deepEqual(corsHeaders(res), []);
  } finally {
    await server.close();
  }
});

Deno.test("loadConfig() takes the origin of EMAIL_LINK_BASE_URL as the default CORS origin", () => {
  assert.deepEqual(loadConfig({}).corsOrigins, []);
  assert.deepEqual(loadConfig({ PUBLIC_URL: "https://id.example.com" }).corsOrigins, []);
  assert.deepEqual(
    loadConfig({ EMAIL_LINK_BASE_URL: "https://app.example.com:8443/account/" }).corsOrigins,
    ["https://app.example.com:8443"],
  );
  assert.deepEqual(
    loadConfig({
      EMAIL_LINK_BASE_URL: "https://app.example.com/account",
      CORS_ORIGINS: "https://a.example.com,https://b.example.com, https://a.example.com",
    }).corsOrigins,
    ["https://a.example.com", "https://b.example.com"],
    "an explicit list replaces the default",
  );
});

Deno.test("loadConfig() refuses a CORS_ORIGINS entry that is not an exact origin", () => {
  for (
    const bad of [
      "*",
      "https://app.example.com/",
      "https://app.example.com/path",
      "app.example.com",
      "ftp://files.example.com",
      "https://APP.example.com",
      "null",
    ]
  ) {
    assert.throws(
      () => loadConfig({ CORS_ORIGINS: `https://ok.example.com,${bad}` }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, bad);
        assert.match(error.message, /CORS_ORIGINS: .* is not an exact origin/, bad);
        return true;
      },
    );
  }
});

Deno.test("loadConfig() reads APP_URL and refuses one that is not http(s)", () => {
  assert.equal(loadConfig({}).appUrl, undefined);
  assert.equal(
    loadConfig({ APP_URL: "https://app.example.com/home" }).appUrl,
    "https://app.example.com/home",
  );
  assert.throws(() => loadConfig({ APP_URL: "javascript:alert(1)" }), /APP_URL/);
  assert.throws(() => loadConfig({ APP_URL: "not a url" }), /APP_URL/);
});
