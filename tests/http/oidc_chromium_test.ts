import assert from "node:assert/strict";
import * as oauth from "oauth4webapi";
import { startOidcWorld, withTimes } from "../helpers/oidc_flow.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);

/**
 * A native app on a loopback port (RFC 8252): `/start` sends the browser to Vestibule with a
 * fresh PKCE pair; `/native` receives the code and exchanges it with oauth4webapi.
 */
function startNativeApp(world: Awaited<ReturnType<typeof startOidcWorld>>) {
  let pending: { verifier: string; state: string } | undefined;
  const result = Promise.withResolvers<Record<string, unknown>>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const redirectUri = `http://127.0.0.1:${server.addr.port}/native`;
    if (url.pathname === "/start") {
      pending = {
        verifier: oauth.generateRandomCodeVerifier(),
        state: oauth.generateRandomState(),
      };
      const authorize = new URL(world.as.authorization_endpoint!);
      authorize.search = new URLSearchParams({
        client_id: world.client.client_id,
        redirect_uri: redirectUri,
        response_type: "code",
        state: pending.state,
        code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: "S256",
      }).toString();
      return Response.redirect(authorize, 302);
    }
    if (url.pathname === "/native" && pending !== undefined) {
      try {
        const params = oauth.validateAuthResponse(world.as, world.client, url, pending.state);
        const response = await oauth.authorizationCodeGrantRequest(
          world.as,
          world.client,
          oauth.None(),
          params,
          redirectUri,
          pending.verifier,
          { [oauth.allowInsecureRequests]: true },
        );
        result.resolve(
          await oauth.processAuthorizationCodeResponse(world.as, world.client, response),
        );
        return new Response("<h1>Signed in</h1>", { headers: { "content-type": "text/html" } });
      } catch (error) {
        result.reject(error);
        return new Response("failed", { status: 500 });
      }
    }
    return new Response("not found", { status: 404 });
  });
  return { server, result: result.promise };
}

Deno.test({
  name: "the whole Google sign-in runs in headless Chromium (native app on a loopback port)",
  ignore: !hasChromium,
  fn: async () => {
    const world = await startOidcWorld();
    const app = startNativeApp(world);
    const profile = await Deno.makeTempDir({ prefix: "vestibule-chromium-" });
    await world.provider.next({
      claims: withTimes(world, { sub: "g-chromium", email: "chromium@example.com" }),
    });
    const chromium = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        `--user-data-dir=${profile}`,
        `http://127.0.0.1:${app.server.addr.port}/start`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      // A guard, not a timing assertion: a flow that stops at a page would otherwise hang.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("the sign-in never reached the app")), 120_000);
      });
      const exited = chromium.status.then((status): never => {
        throw new Error(`Chromium exited (${status.code}) before the sign-in completed`);
      });
      exited.catch(() => {}); // it also rejects when the test ends Chromium below
      const signedIn = await Promise.race([app.result, stuck, exited]).finally(() =>
        clearTimeout(timer)
      );
      assert.equal(typeof signedIn.access_token, "string");
      const user = signedIn.user as { email: string; google_id: string };
      assert.deepEqual([user.email, user.google_id], ["chromium@example.com", "g-chromium"]);
      const me = await world.server.api("GET", "/users/me", {
        token: signedIn.access_token as string,
      });
      assert.equal(me.body.google_id, "g-chromium");
    } finally {
      chromium.kill("SIGTERM");
      await chromium.status;
      await app.server.shutdown();
      await world.close();
      await Deno.remove(profile, { recursive: true });
    }
  },
});
