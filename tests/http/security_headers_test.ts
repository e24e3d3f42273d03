import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startTestServer } from "../helpers/test_server.ts";

function assertJsonSecurity(res: Response, what: string): void {
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/, what);
  assert.equal(res.headers.get("cache-control"), "no-store", what);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff", what);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer", what);
}

/** The CSP as a map of directive → its sources. */
function csp(res: Response): Map<string, string[]> {
  const header = res.headers.get("content-security-policy") ?? "";
  return new Map(
    header.split(";").map((d) => d.trim().split(/\s+/)).filter((d) => d[0] !== "").map((
      [name, ...sources],
    ) => [name, sources]),
  );
}

Deno.test("security headers", async (t) => {
  const server = await startTestServer({ RATE_LIMIT_REFRESH_PER_IP: "1/60" });
  try {
    const { access_token } = await server.register();

    await t.step("every JSON answer is no-store, nosniff, no-referrer", async () => {
      const requests: [string, RequestInit?][] = [
        ["/api/v1/users/me", { headers: { authorization: `Bearer ${access_token}` } }],
        ["/api/v1/users/me"], // 401
        ["/api/v1/nope"], // 404
        ["/nope"], // 404 outside the API
        ["/api/v1/users/me", { method: "PUT" }], // 405
        ["/api/v1/auth/login", {
          method: "POST",
          body: "{",
          headers: { "content-type": "application/json" },
        }], // 400
        ["/api/v1/auth/login", {
          method: "POST",
          body: JSON.stringify({ email: "member1@example.com", password: "secure123" }),
          headers: { "content-type": "application/json" },
        }], // tokens
        ["/trpc/users.me", { headers: { authorization: `Bearer ${access_token}` } }],
        ["/trpc/users.me"], // tRPC error
        ["/openapi.json"],
        ["/api/v1/openapi.json"],
        ["/healthz"],
      ];
      for (const [path, init] of requests) {
        const res = await fetch(`${server.url}${path}`, init);
        await res.body?.cancel();
        assertJsonSecurity(res, `${init?.method ?? "GET"} ${path} → ${res.status}`);
      }
    });

    await t.step("a 429 keeps Retry-After beside the security headers", async () => {
      let res: Response | undefined;
      for (let i = 0; i < 2; i++) {
        res = await fetch(`${server.url}/api/v1/auth/refresh`, {
          method: "POST",
          body: JSON.stringify({ refresh_token: "x".repeat(43) }),
          headers: { "content-type": "application/json" },
        });
        await res.body?.cancel();
      }
      assert.equal(res!.status, 429);
      assert.ok(Number(res!.headers.get("retry-after")) > 0);
      assertJsonSecurity(res!, "429");
    });

    await t.step(
      "link pages: no-store, nosniff, no framing, a CSP admitting only their style",
      async () => {
        for (
          const path of [
            "/verify-email",
            "/confirm-email-change",
            "/reset-password",
            "/cancel-deletion",
          ]
        ) {
          const res = await fetch(`${server.url}${path}?token=abc`);
          const html = await res.text();
          assert.equal(res.status, 200, path);
          assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
          assert.equal(res.headers.get("cache-control"), "no-store");
          assert.equal(res.headers.get("x-content-type-options"), "nosniff");
          assert.equal(res.headers.get("referrer-policy"), "no-referrer");
          assert.equal(res.headers.get("x-frame-options"), "DENY");
          const policy = csp(res);
          assert.deepEqual(policy.get("default-src"), ["'none'"]);
          assert.deepEqual(policy.get("frame-ancestors"), ["'none'"]);
          assert.deepEqual(policy.get("form-action"), ["'self'"]);
          assert.deepEqual(policy.get("base-uri"), ["'none'"]);
          assert.equal(
            policy.get("script-src"),
            undefined,
            "no script at all (default-src 'none')",
          );
          const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
          const hash = `'sha256-${createHash("sha256").update(style).digest("base64")}'`;
          assert.deepEqual(
            policy.get("style-src"),
            [hash],
            "the inline style is allowed by its hash",
          );
          assert.equal(html.match(/<style>/g)?.length, 1);
          assert.doesNotMatch(html, /<script|style="/);
        }
      },
    );

    await t.step("/docs: a CSP admitting only this origin's scripts, no framing", async () => {
      const res = await fetch(`${server.url}/docs`);
      const html = await res.text();
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      const policy = csp(res);
      assert.deepEqual(policy.get("default-src"), ["'none'"]);
      assert.deepEqual(policy.get("script-src"), ["'self'"]);
      assert.deepEqual(policy.get("connect-src"), ["'self'"]);
      assert.deepEqual(policy.get("frame-ancestors"), ["'none'"]);
      assert.doesNotMatch(html, /https?:\/\//, "nothing from another origin, no CDN");
      const scripts = [...html.matchAll(/<script src="([^"]+)"><\/script>/g)].map((m) => m[1]);
      assert.deepEqual(scripts, ["docs/swagger-ui-bundle.js", "docs/init.js"]);
      assert.doesNotMatch(html.replace(/<script src="[^"]+"><\/script>/g, ""), /<script/);
    });

    await t.step("/docs files come from the npm package, typed and nosniff", async () => {
      const expected: [string, RegExp, string][] = [
        ["/docs/swagger-ui-bundle.js", /^text\/javascript/, "SwaggerUIBundle"],
        ["/docs/swagger-ui.css", /^text\/css/, ".swagger-ui"],
        ["/docs/init.js", /^text\/javascript/, "openapi.json"],
      ];
      for (const [path, type, content] of expected) {
        const res = await fetch(`${server.url}${path}`);
        const text = await res.text();
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get("content-type") ?? "", type, path);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff");
        assert.ok(text.includes(content), path);
      }
      const bundle = await fetch(`${server.url}/docs/swagger-ui-bundle.js`);
      assert.ok((await bundle.arrayBuffer()).byteLength > 500_000, "the whole bundle");
      for (const path of ["/docs/index.html", "/docs/../deno.json", "/docs/package.json"]) {
        const res = await fetch(`${server.url}${path}`);
        await res.body?.cancel();
        assert.equal(res.status, 404, path);
      }
      const post = await fetch(`${server.url}/docs`, { method: "POST" });
      await post.body?.cancel();
      assert.equal(post.status, 405);
    });
  } finally {
    await server.close();
  }
});
