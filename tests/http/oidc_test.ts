import assert from "node:assert/strict";
import * as oauth from "oauth4webapi";
import {
  APP_REDIRECT,
  appAuthorizeUrl,
  appParams,
  browse,
  Browser,
  signInWithGoogle,
  startOidcWorld,
  withTimes,
} from "../helpers/oidc_flow.ts";
import { linkToken } from "../helpers/mail.ts";
import { startTestServer } from "../helpers/test_server.ts";
import { purgeDueAccounts } from "../../src/services/account_purge.ts";

const token = (server: { url: string }) => `${server.url}/api/v1/auth/oauth/token`;

Deno.test("Sign in with Google: a new member, against a real OpenID provider", async (t) => {
  const world = await startOidcWorld();
  const { server } = world;
  try {
    await t.step("the metadata describes Vestibule's own authorization server", async () => {
      const res = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
      assert.equal((await res.json()).token_endpoint, token(server));
      assert.equal(world.as.issuer, server.url);
      assert.deepEqual(world.as.code_challenge_methods_supported, ["S256"]);
      assert.equal(world.as.authorization_response_iss_parameter_supported, true);
    });

    let signedIn: Awaited<ReturnType<typeof signInWithGoogle>>;
    await t.step("an unknown identity with an unused email creates an account", async () => {
      signedIn = await signInWithGoogle(world, {
        sub: "google-new-1",
        email: "New.Member@Example.com",
        email_verified: true,
      });
      const user = signedIn.user as Record<string, unknown>;
      assert.equal(user.email, "new.member@example.com");
      assert.equal(user.email_verified, true);
      assert.equal(user.google_id, "google-new-1");
      assert.equal(typeof signedIn.refresh_token, "string");
      const me = await server.api("GET", "/users/me", { token: signedIn.access_token });
      assert.equal(me.body.google_id, "google-new-1");
      const ids = await server.api("GET", "/users/me/identities", { token: signedIn.access_token });
      assert.deepEqual(ids.body.identities.map((i: { subject: string }) => i.subject), [
        "google-new-1",
      ]);
    });

    await t.step("the same identity signs the same member in again", async () => {
      const again = await signInWithGoogle(world, {
        sub: "google-new-1",
        email: "whatever-now@example.com",
        email_verified: true,
      });
      assert.equal((again.user as { id: string }).id, (signedIn.user as { id: string }).id);
    });

    await t.step("no password can ever sign this member in", async () => {
      const res = await server.api("POST", "/auth/login", {
        body: { email: "new.member@example.com", password: "!no-password" },
      });
      assert.deepEqual([res.status, res.body.code], [401, "INVALID_CREDENTIALS"]);
      const change = await server.api("POST", "/users/me/password", {
        token: signedIn.access_token,
        body: { current_password: "!no-password", new_password: "a-new-password-1" },
      });
      assert.deepEqual([change.status, change.body.code], [400, "PASSWORD_NOT_SET"]);
    });

    await t.step("unlinking the only way to sign in is refused", async () => {
      const res = await server.api("DELETE", "/users/me/identities/google", {
        token: signedIn.access_token,
      });
      assert.deepEqual([res.status, res.body.code], [400, "LAST_SIGN_IN_METHOD"]);
    });

    await t.step("a recent sign-in stands in for the password; an old one does not", async () => {
      const recent = await server.api("POST", "/users/me/email/change", {
        token: signedIn.access_token,
        body: { new_email: "moved@example.com" },
      });
      assert.equal(recent.status, 200, JSON.stringify(recent.body));
      server.clock.advance(11 * 60_000);
      const old = await server.api("DELETE", "/users/me", {
        token: (await server.api("POST", "/auth/refresh", {
          body: { refresh_token: signedIn.refresh_token },
        })).body.access_token,
        body: { confirmation: "DELETE MY ACCOUNT" },
      });
      assert.deepEqual([old.status, old.body], [401, {
        detail: "Recent sign-in required",
        code: "RECENT_SIGN_IN_REQUIRED",
      }]);
    });
  } finally {
    await world.close();
  }
});

async function exchange(
  world: Awaited<ReturnType<typeof startOidcWorld>>,
  params: Record<string, string>,
) {
  const response = await fetch(token(world.server), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      redirect_uri: APP_REDIRECT,
      client_id: "my-app",
      ...params,
    }),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** A code for `claims`, as the app receives it, with the app's verifier. */
async function codeFor(
  world: Awaited<ReturnType<typeof startOidcWorld>>,
  claims: Record<string, unknown>,
) {
  await world.provider.next({ claims: withTimes(world, claims) });
  const started = await appAuthorizeUrl(world);
  const params = appParams(await browse(world, started.authorizeUrl));
  assert.equal(params.state, started.state);
  assert.equal(params.iss, world.server.url);
  assert.ok(params.code, JSON.stringify(params));
  return { code: params.code, verifier: started.verifier };
}

Deno.test("Sign in with Google: one-time codes and their checks", async (t) => {
  const world = await startOidcWorld();
  const { server } = world;
  try {
    await t.step("a code used twice revokes the session it opened", async () => {
      const { code, verifier } = await codeFor(world, { sub: "g-code-1", email: "c1@example.com" });
      const first = await exchange(world, { code, code_verifier: verifier });
      assert.equal(first.status, 200);
      assert.equal(first.headers.get("cache-control"), "no-store");
      const me = await server.api("GET", "/users/me", { token: first.body.access_token });
      assert.equal(me.status, 200);
      const second = await exchange(world, { code, code_verifier: verifier });
      assert.deepEqual([second.status, second.body.error], [400, "invalid_grant"]);
      assert.equal(second.body.error_description, "Authorization code already used");
      const after = await server.api("GET", "/users/me", { token: first.body.access_token });
      assert.equal(after.status, 401);
    });

    await t.step("JSON bodies are accepted too", async () => {
      const { code, verifier } = await codeFor(world, { sub: "g-code-1", email: "c1@example.com" });
      const res = await fetch(token(server), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          grant_type: "authorization_code",
          code,
          code_verifier: verifier,
          redirect_uri: APP_REDIRECT,
        }),
      });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).user.google_id, "g-code-1");
    });

    await t.step("an expired code is refused", async () => {
      const { code, verifier } = await codeFor(world, { sub: "g-code-1", email: "c1@example.com" });
      server.clock.advance(61_000);
      const res = await exchange(world, { code, code_verifier: verifier });
      assert.deepEqual([res.status, res.body.error_description], [
        400,
        "Authorization code expired",
      ]);
    });

    await t.step("a wrong code_verifier is refused and spends the code", async () => {
      const { code, verifier } = await codeFor(world, { sub: "g-code-1", email: "c1@example.com" });
      const wrong = await exchange(world, {
        code,
        code_verifier: oauth.generateRandomCodeVerifier(),
      });
      assert.deepEqual([wrong.status, wrong.body.error, wrong.body.code], [
        400,
        "invalid_grant",
        "INVALID_GRANT",
      ]);
      const right = await exchange(world, { code, code_verifier: verifier });
      assert.equal(right.status, 400);
    });

    await t.step("a different redirect_uri at the token endpoint is refused", async () => {
      const { code, verifier } = await codeFor(world, { sub: "g-code-1", email: "c1@example.com" });
      const res = await exchange(world, {
        code,
        code_verifier: verifier,
        redirect_uri: "http://127.0.0.1:9999/native",
      });
      assert.deepEqual([res.status, res.body.error_description], [
        400,
        "redirect_uri does not match",
      ]);
    });

    await t.step("an unknown code and a missing grant_type are OAuth errors", async () => {
      const unknown = await exchange(world, { code: "nope", code_verifier: "x".repeat(43) });
      assert.deepEqual([unknown.status, unknown.body.error], [400, "invalid_grant"]);
      const res = await fetch(token(server), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "code=abc",
      });
      assert.deepEqual([res.status, (await res.json()).error], [400, "invalid_request"]);
    });
  } finally {
    await world.close();
  }
});

Deno.test("Sign in with Google: requests that must not redirect, and a forged state", async (t) => {
  const world = await startOidcWorld();
  const { server } = world;
  try {
    await t.step("an unregistered redirect_uri is a 400 page, never a redirect", async () => {
      for (const redirect of ["https://evil.example/callback", `${APP_REDIRECT}/x`, ""]) {
        const started = await appAuthorizeUrl(world, { redirect_uri: redirect });
        const res = await new Browser().get(started.authorizeUrl);
        assert.equal(res.status, 400);
        assert.equal(res.headers.get("location"), null);
        assert.match(await res.text(), /redirect_uri is not registered/);
      }
    });

    await t.step("a loopback redirect_uri on any port is accepted (RFC 8252)", async () => {
      const started = await appAuthorizeUrl(world, {
        redirect_uri: "http://127.0.0.1:53123/native",
      });
      const res = await new Browser().get(started.authorizeUrl);
      await res.body?.cancel();
      assert.equal(res.status, 302);
      assert.ok(res.headers.get("location")!.startsWith(world.provider.issuer));
      assert.match(res.headers.get("set-cookie")!, /HttpOnly; SameSite=Lax/);
    });

    await t.step("plain PKCE is refused back to the app", async () => {
      const started = await appAuthorizeUrl(world, { code_challenge_method: "plain" });
      const params = appParams(await new Browser().get(started.authorizeUrl));
      assert.equal(params.error, "invalid_request");
      assert.equal(params.state, started.state);
    });

    await t.step("a wrong state, or another browser, gets a 400 and no redirect", async () => {
      await world.provider.next({ claims: withTimes(world, { sub: "g-s", email: "s@e.com" }) });
      const started = await appAuthorizeUrl(world);
      const forged = await browse(world, started.authorizeUrl, {
        beforeCallback: (url) => url.searchParams.set("state", "forged"),
      });
      assert.deepEqual([forged.status, forged.headers.get("location")], [400, null]);
      await forged.body?.cancel();

      await world.provider.next({ claims: withTimes(world, { sub: "g-s", email: "s@e.com" }) });
      const other = await appAuthorizeUrl(world);
      const browser = new Browser();
      const res = await browse(world, other.authorizeUrl, {
        browser,
        beforeCallback: () => browser.cookies.clear(),
      });
      assert.deepEqual([res.status, res.headers.get("location")], [400, null]);
      await res.body?.cancel();
      const users = await server.deps.db.selectFrom("users").select("id").execute();
      assert.equal(users.length, 0);
    });

    await t.step("starting sign-ins is limited per client address", async () => {
      let refused: Response | undefined;
      for (let i = 0; i < 40 && refused === undefined; i++) {
        const started = await appAuthorizeUrl(world);
        const res = await new Browser().get(started.authorizeUrl);
        await res.body?.cancel();
        if (res.status !== 302) refused = res;
      }
      assert.equal(refused?.status, 429);
      assert.equal(refused?.headers.get("location"), null);
      assert.ok(Number(refused?.headers.get("retry-after")) > 0);
    });
  } finally {
    await world.close();
  }
});

Deno.test("Sign in with Google: ID tokens that do not verify are refused", async (t) => {
  const world = await startOidcWorld();
  const { server } = world;
  try {
    const now = Math.floor(server.clock.now().getTime() / 1000);
    const cases: [string, { claims?: Record<string, unknown>; wrongKey?: boolean }, RegExp][] = [
      ["a wrong nonce", { claims: { nonce: "not-the-nonce" } }, /"nonce" claim/],
      ["a wrong audience", { claims: { aud: "someone-else" } }, /"aud" \(audience\)/],
      ["a wrong issuer", { claims: { iss: "https://accounts.example.com" } }, /"iss" \(issuer\)/],
      ["an expired token", { claims: { iat: now - 7200, exp: now - 3600 } }, /"exp"/],
      ["a token signed by another key", { wrongKey: true }, /signature verification failed/],
    ];
    for (const [name, tamper, reason] of cases) {
      await t.step(`${name} sends access_denied to the app and creates nothing`, async () => {
        await world.provider.next({
          claims: withTimes(world, { sub: "g-bad", email: "bad@example.com", ...tamper.claims }),
          wrongKey: tamper.wrongKey,
        });
        const started = await appAuthorizeUrl(world);
        const params = appParams(await browse(world, started.authorizeUrl));
        assert.deepEqual([params.error, params.state, params.code], [
          "access_denied",
          started.state,
          undefined,
        ]);
        // Refused for the reason under test, as the operator's log says.
        assert.match(String(server.logs.at(-1)?.reason), reason);
        const users = await server.deps.db.selectFrom("users").select("id").execute();
        assert.equal(users.length, 0);
      });
    }
    await t.step("the same provider's good token then works", async () => {
      const signedIn = await signInWithGoogle(world, { sub: "g-bad", email: "bad@example.com" });
      assert.equal((signedIn.user as { google_id: string }).google_id, "g-bad");
    });
  } finally {
    await world.close();
  }
});

Deno.test("Sign in with Google: linking rules for existing accounts", async (t) => {
  const world = await startOidcWorld();
  const { server } = world;
  const verify = (email: string) =>
    server.deps.db.updateTable("users").set({ email_verified_at: "2026-11-23T10:00:00.000Z" })
      .where("email", "=", email).execute();
  const identities = () => server.deps.db.selectFrom("identities").selectAll().execute();
  try {
    await t.step("an unverified account is not linked (account_exists)", async () => {
      await server.register("unverified@example.com");
      await world.provider.next({
        claims: withTimes(world, {
          sub: "g-u",
          email: "unverified@example.com",
          email_verified: true,
        }),
      });
      const started = await appAuthorizeUrl(world);
      const params = appParams(await browse(world, started.authorizeUrl));
      assert.equal(params.error, "account_exists");
      assert.match(params.error_description, /sign in with your password/i);
      assert.equal((await identities()).length, 0);
    });

    await t.step("an unverified provider email is not linked (account_exists)", async () => {
      await server.register("verified@example.com");
      await verify("verified@example.com");
      await world.provider.next({
        claims: withTimes(world, {
          sub: "g-v",
          email: "verified@example.com",
          email_verified: false,
        }),
      });
      const started = await appAuthorizeUrl(world);
      const params = appParams(await browse(world, started.authorizeUrl));
      assert.equal(params.error, "account_exists");
      assert.equal((await identities()).length, 0);
    });

    await t.step("verified on both sides links the existing account, mailed", async () => {
      const member = await server.api("POST", "/auth/login", {
        body: { email: "verified@example.com", password: "secure123" },
      });
      const signedIn = await signInWithGoogle(world, {
        sub: "g-v",
        email: "verified@example.com",
        email_verified: true,
      });
      assert.equal((signedIn.user as { id: string }).id, member.body.user.id);
      assert.equal((signedIn.user as { google_id: string }).google_id, "g-v");
      const mail = await server.mailTo("verified@example.com");
      assert.ok(mail.some((m) => /Google sign-in was linked/.test(m.subject)));
    });

    await t.step("a member with a password may unlink; audited and mailed", async () => {
      const member = await server.api("POST", "/auth/login", {
        body: { email: "verified@example.com", password: "secure123" },
      });
      const res = await server.api("DELETE", "/users/me/identities/google", {
        token: member.body.access_token,
      });
      assert.equal(res.status, 200);
      const me = await server.api("GET", "/users/me", { token: member.body.access_token });
      assert.equal(me.body.google_id, null);
      const events = await server.deps.db.selectFrom("audit_events").select("event")
        .where("user_id", "=", member.body.user.id).execute();
      assert.ok(events.some((e) => e.event === "identity.unlinked"));
      assert.ok(events.some((e) => e.event === "identity.linked"));
      const mail = await server.mailTo("verified@example.com");
      assert.ok(mail.some((m) => /Google sign-in was removed/.test(m.subject)));
    });

    await t.step("a signed-in member links Google through a short-lived URL", async () => {
      const member = await server.api("POST", "/auth/login", {
        body: { email: "unverified@example.com", password: "secure123" },
      });
      const started = await server.api("POST", "/users/me/identities/google", {
        token: member.body.access_token,
        body: { redirect_uri: APP_REDIRECT, state: "link-1" },
      });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      await world.provider.next({
        claims: withTimes(world, { sub: "g-link", email: "other@gmail.example" }),
      });
      const params = appParams(await browse(world, started.body.authorize_url));
      assert.deepEqual([params.linked, params.state, params.iss], ["google", "link-1", server.url]);
      const me = await server.api("GET", "/users/me", { token: member.body.access_token });
      assert.equal(me.body.google_id, "g-link");
      const reused = await new Browser().get(started.body.authorize_url);
      assert.deepEqual([reused.status, reused.headers.get("location")], [400, null]);
      await reused.body?.cancel();
    });

    await t.step("an identity linked to another member cannot be linked", async () => {
      const other = await server.register("third@example.com");
      const started = await server.api("POST", "/users/me/identities/google", {
        token: other.access_token,
        body: { redirect_uri: APP_REDIRECT },
      });
      await world.provider.next({
        claims: withTimes(world, { sub: "g-link", email: "other@gmail.example" }),
      });
      const params = appParams(await browse(world, started.body.authorize_url));
      assert.equal(params.error, "identity_in_use");
      const me = await server.api("GET", "/users/me", { token: other.access_token });
      assert.equal(me.body.google_id, null);
    });

    await t.step("an unregistered redirect_uri cannot start a link", async () => {
      const member = await server.api("POST", "/auth/login", {
        body: { email: "third@example.com", password: "secure123" },
      });
      const res = await server.api("POST", "/users/me/identities/google", {
        token: member.body.access_token,
        body: { redirect_uri: "https://evil.example/cb" },
      });
      assert.deepEqual([res.status, res.body.code], [400, "INVALID_REDIRECT_URI"]);
    });
  } finally {
    await world.close();
  }
});

Deno.test("Sign in with Google: deletion, purge, export and setting a password", async (t) => {
  const world = await startOidcWorld();
  const { server } = world;
  const claims = { sub: "g-life", email: "life@example.com", email_verified: true };
  try {
    let signedIn = await signInWithGoogle(world, claims);
    const userId = (signedIn.user as { id: string }).id;

    await t.step("the export includes the identity, without secrets", async () => {
      const res = await server.api("GET", "/users/me/export", { token: signedIn.access_token });
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.records.identities.map((i: { subject: string }) => i.subject),
        ["g-life"],
      );
      const text = JSON.stringify(res.body);
      assert.doesNotMatch(text, /code_hash|state_hash|verifier_sealed|nonce_sealed/);
    });

    await t.step("a recent Google sign-in deletes without a password", async () => {
      const res = await server.api("DELETE", "/users/me", {
        token: signedIn.access_token,
        body: { confirmation: "DELETE MY ACCOUNT" },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });

    await t.step("signing in with Google again cancels the pending deletion", async () => {
      signedIn = await signInWithGoogle(world, claims);
      assert.equal(signedIn.deletion_cancelled, true);
      assert.equal((signedIn.user as { status: string }).status, "active");
    });

    await t.step("the reset mail sets a first password; then Google may be unlinked", async () => {
      await server.api("POST", "/auth/password/forgot", { body: { email: "life@example.com" } });
      const mail = (await server.mailTo("life@example.com")).filter((m) =>
        /reset/i.test(m.subject)
      );
      const reset = await server.api("POST", "/auth/password/reset", {
        body: { token: linkToken(mail.at(-1)!), new_password: "a-first-password" },
      });
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      const login = await server.api("POST", "/auth/login", {
        body: { email: "life@example.com", password: "a-first-password" },
      });
      assert.equal(login.status, 200);
      const unlink = await server.api("DELETE", "/users/me/identities/google", {
        token: login.body.access_token,
      });
      assert.equal(unlink.status, 200);
      signedIn = await signInWithGoogle(world, claims); // verified both sides: linked again
      assert.equal((signedIn.user as { id: string }).id, userId);
    });

    await t.step("the purge deletes the identity; the Google account is free again", async () => {
      const del = await server.api("DELETE", "/users/me", {
        token: signedIn.access_token,
        body: { password: "a-first-password", confirmation: "DELETE MY ACCOUNT" },
      });
      assert.equal(del.status, 200);
      server.clock.advance(15 * 86_400_000);
      await purgeDueAccounts(server.deps, server.clock.now());
      for (const table of ["identities", "oauth_codes", "oauth_states"] as const) {
        const rows = await server.deps.db.selectFrom(table).selectAll().execute();
        assert.ok(!JSON.stringify(rows).includes(userId), table);
      }
      const fresh = await signInWithGoogle(world, claims);
      assert.notEqual((fresh.user as { id: string }).id, userId);
    });
  } finally {
    await world.close();
  }
});

Deno.test("Sign in with Google: start-up needs no provider; an unreachable one is reported to the app", async () => {
  const port = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dead = `http://127.0.0.1:${(port.addr as Deno.NetAddr).port}`;
  port.close(); // nothing listens there any more
  const server = await startTestServer({
    GOOGLE_CLIENT_ID: "id",
    GOOGLE_CLIENT_SECRET: "secret",
    GOOGLE_ISSUER: dead,
    OAUTH_REDIRECT_URIS: APP_REDIRECT,
  });
  try {
    const url = new URL(`${server.url}/api/v1/auth/oauth/google/authorize`);
    url.search = new URLSearchParams({
      redirect_uri: APP_REDIRECT,
      state: "s1",
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: "S256",
    }).toString();
    const res = await fetch(url, { redirect: "manual" });
    await res.body?.cancel();
    const params = appParams(res);
    assert.deepEqual([params.error, params.state], ["temporarily_unavailable", "s1"]);
  } finally {
    await server.close();
  }
});

Deno.test("Sign in with Google is off (404) without GOOGLE_CLIENT_ID", async () => {
  const server = await startTestServer();
  try {
    const res = await server.api("GET", "/auth/oauth/google/authorize?redirect_uri=x");
    assert.deepEqual([res.status, res.body.code], [404, "OAUTH_NOT_CONFIGURED"]);
  } finally {
    await server.close();
  }
});

Deno.test("Sign in with Google: bad input gets a clear 4xx, never a 500", async (t) => {
  const world = await startOidcWorld();
  const { server } = world;
  const post = (body: string, type: string) =>
    fetch(token(server), { method: "POST", headers: { "content-type": type }, body });
  try {
    await t.step("the token endpoint answers OAuth errors for malformed requests", async () => {
      const cases: [string, string, number, string][] = [
        ["{not json", "application/json", 400, "Malformed JSON body"],
        ["[1]", "application/json", 400, "The body must be a JSON object"],
        ['{"grant_type": 1}', "application/json", 400, "grant_type must be a string"],
        [
          "grant_type=password",
          "application/x-www-form-urlencoded",
          400,
          "grant_type must be authorization_code",
        ],
        ["code=a&code=b", "application/x-www-form-urlencoded", 400, "code given twice"],
        [
          "x",
          "text/plain",
          400,
          "Content-Type must be application/x-www-form-urlencoded or application/json",
        ],
        [
          "a=" + "x".repeat(2 * 1024 * 1024),
          "application/x-www-form-urlencoded",
          413,
          "Request body too large",
        ],
      ];
      for (const [body, type, status, description] of cases) {
        const res = await post(body, type);
        const answer = await res.json();
        assert.deepEqual([res.status, answer.error_description], [status, description], body);
        assert.equal(answer.detail, description);
      }
    });

    await t.step("a callback without state is a 400, JSON for a program", async () => {
      const res = await fetch(`${server.url}/api/v1/auth/oauth/google/callback?code=x`, {
        redirect: "manual",
      });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).code, "INVALID_OAUTH_STATE");
    });

    await t.step("a refusal at Google goes back to the app as access_denied", async () => {
      const started = await appAuthorizeUrl(world);
      const params = appParams(
        await browse(world, started.authorizeUrl, {
          beforeCallback: (url) => {
            url.searchParams.delete("code");
            url.searchParams.set("error", "access_denied");
          },
        }),
      );
      assert.deepEqual([params.error, params.state, params.iss], [
        "access_denied",
        started.state,
        server.url,
      ]);
    });

    await t.step("an authorize parameter given twice is refused without a redirect", async () => {
      const started = await appAuthorizeUrl(world);
      const res = await new Browser().get(`${started.authorizeUrl}&state=again`);
      assert.deepEqual([res.status, res.headers.get("location")], [400, null]);
      await res.body?.cancel();
    });

    await t.step("a link URL expires after 5 minutes", async () => {
      const member = await server.register();
      const started = await server.api("POST", "/users/me/identities/google", {
        token: member.access_token,
        body: { redirect_uri: APP_REDIRECT },
      });
      assert.equal(started.body.expires_in, 300);
      server.clock.advance(301_000);
      const res = await new Browser().get(started.body.authorize_url);
      assert.deepEqual([res.status, res.headers.get("location")], [400, null]);
      assert.match(await res.text(), /This link has expired/);
    });

    await t.step("nothing was created by any of it", async () => {
      assert.equal((await server.deps.db.selectFrom("identities").selectAll().execute()).length, 0);
      assert.equal(
        (await server.deps.db.selectFrom("oauth_codes").selectAll().execute()).length,
        0,
      );
      assert.ok(!server.logs.some((line) => line.level === "error"), JSON.stringify(server.logs));
    });
  } finally {
    await world.close();
  }
});
