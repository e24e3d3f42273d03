import assert from "node:assert/strict";
import { launchChromium } from "../helpers/chromium.ts";
import { startTestServer } from "../helpers/test_server.ts";

/**
 * A tiny front end on its own loopback port: its page signs in against Vestibule and reads
 * `/users/me`, then writes what happened into its title and `#result`.
 */
function serveApp(): {
  server: Deno.HttpServer<Deno.NetAddr>;
  origin: string;
  setApi(url: string): void;
} {
  let api = "";
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response(
        `<!doctype html><html><head><title>running</title></head><body><pre id="result"></pre>
<script>
const API = ${JSON.stringify(api)};
async function run() {
  const outcome = {};
  try {
    const document_ = await fetch(API + "/openapi.json");
    outcome.openapi = document_.status;
  } catch (error) {
    outcome.openapi = "refused: " + error.name;
  }
  try {
    const login = await fetch(API + "/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Request-Id": "browser-test" },
      body: JSON.stringify({ email: "spa@example.com", password: "secure123" }),
    });
    outcome.login = login.status;
    const tokens = await login.json();
    const me = await fetch(API + "/api/v1/users/me", {
      headers: { Authorization: "Bearer " + tokens.access_token },
    });
    outcome.me = me.status;
    outcome.email = (await me.json()).email;
    outcome.requestId = me.headers.get("X-Request-Id");
    outcome.cacheControl = me.headers.get("Cache-Control");
  } catch (error) {
    outcome.login = "refused: " + error.name;
  }
  document.getElementById("result").textContent = JSON.stringify(outcome);
  document.title = "done";
}
run();
</script></body></html>`,
        { headers: { "content-type": "text/html; charset=utf-8" } },
      ),
  );
  return {
    server,
    origin: `http://127.0.0.1:${server.addr.port}`,
    setApi: (url) => (api = url),
  };
}

Deno.test("a browser page on a CORS_ORIGINS origin signs in and reads /users/me; another origin is refused", async () => {
  const listed = serveApp();
  const unlisted = serveApp();
  const vestibule = await startTestServer({ CORS_ORIGINS: listed.origin });
  const browser = await launchChromium();
  try {
    await vestibule.register("spa@example.com", "secure123");
    listed.setApi(vestibule.url);
    unlisted.setApi(vestibule.url);
    assert.notEqual(new URL(vestibule.url).origin, listed.origin);
    const page = await browser.newPage();

    await page.goto(`${listed.origin}/`);
    await page.waitFor("document.title === 'done'", "the listed page's outcome");
    const allowed = JSON.parse(
      await page.evaluate<string>("document.getElementById('result').textContent"),
    );
    assert.equal(allowed.openapi, 200);
    assert.equal(allowed.login, 200);
    assert.equal(allowed.me, 200);
    assert.equal(allowed.email, "spa@example.com");
    assert.match(allowed.requestId, /^[0-9a-f-]{36}$/, "X-Request-Id is exposed to the page");
    assert.equal(allowed.cacheControl, "no-store");

    await page.goto(`${unlisted.origin}/`);
    await page.waitFor("document.title === 'done'", "the unlisted page's outcome");
    const refused = JSON.parse(
      await page.evaluate<string>("document.getElementById('result').textContent"),
    );
    assert.deepEqual(refused, { openapi: "refused: TypeError", login: "refused: TypeError" });
    assert.ok(
      page.console.some((entry) => /blocked by CORS policy/.test(entry.text)),
      JSON.stringify(page.console),
    );
    await page.close();
  } finally {
    await browser.close();
    await vestibule.close();
    await listed.server.shutdown();
    await unlisted.server.shutdown();
  }
});
