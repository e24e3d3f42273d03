import assert from "node:assert/strict";
import { pragma } from "../helpers/database.ts";
import { onPostgres } from "../helpers/test_database.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("register", async (t) => {
  const server = await startTestServer();
  try {
    await t.step(
      "the README example creates the account with display_name as name (201)",
      async () => {
        const res = await server.api("POST", "/auth/register", {
          body: { email: "user@example.com", password: "secure123", display_name: "John" },
        });
        assert.equal(res.status, 201);
        assert.equal(res.body.user.name, "John");
        assert.equal(res.body.user.email, "user@example.com");
        assert.equal(res.body.token_type, "Bearer");
        assert.equal(res.body.expires_in, 900);
        assert.match(res.body.refresh_token, /^[A-Za-z0-9_-]{43}$/);
        assert.deepEqual(Object.keys(res.body.user).sort(), [
          "created_at",
          "deletion_date",
          "email",
          "email_verified",
          "google_id",
          "id",
          "name",
          "phone",
          "profile_picture",
          "status",
          "subscription_tier",
          "updated_at",
        ]);
      },
    );

    await t.step("the same address in other case is 400 Email already registered", async () => {
      const res = await server.api("POST", "/auth/register", {
        body: { email: " USER@Example.com ", password: "secure123" },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { detail: "Email already registered", code: "EMAIL_TAKEN" });
    });

    for (const password of ["short1", "password", "12345678", "qwerty123", "x".repeat(129)]) {
      await t.step(`password ${password.slice(0, 12)}… does not meet requirements`, async () => {
        const res = await server.api("POST", "/auth/register", {
          body: { email: "weak@example.com", password },
        });
        assert.equal(res.status, 400);
        assert.equal(res.body.detail, "Password does not meet requirements");
        assert.deepEqual(res.body.errors, [{
          field: "password",
          message: "Password does not meet requirements",
        }]);
      });
    }

    await t.step("a name of one character is refused with the contract message", async () => {
      const res = await server.api("POST", "/auth/register", {
        body: { email: "n@example.com", password: "secure123", name: "J" },
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.detail, "Name must be at least 2 characters");
    });

    await t.step("missing and mistyped fields are listed, the first in detail", async () => {
      const res = await server.api("POST", "/auth/register", { body: { password: 12 } });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "VALIDATION_ERROR");
      assert.equal(res.body.detail, "email is required");
      assert.deepEqual(res.body.errors, [
        { field: "email", message: "email is required" },
        { field: "password", message: "password must be a string" },
      ]);
    });

    await t.step("an unknown field is refused", async () => {
      const res = await server.api("POST", "/auth/register", {
        body: { email: "u@example.com", password: "secure123", admin: true },
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.detail, "Unknown field: admin");
    });

    await t.step("an invalid email is refused", async () => {
      const res = await server.api("POST", "/auth/register", {
        body: { email: "not-an-email", password: "secure123" },
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.detail, "Invalid email address");
    });

    await t.step("malformed JSON is 400, never 500", async () => {
      const res = await server.api("POST", "/auth/register", { body: '{"email": "a@b.c",' });
      assert.deepEqual([res.status, res.body], [400, {
        detail: "Malformed JSON body",
        code: "MALFORMED_JSON",
      }]);
    });

    await t.step("a JSON array or scalar body is a validation error", async () => {
      for (const body of ["[]", "42", "null"]) {
        const res = await server.api("POST", "/auth/register", { body });
        assert.equal(res.status, 400, body);
        assert.equal(res.body.code, "VALIDATION_ERROR");
      }
    });

    await t.step("a non-JSON content type is 415", async () => {
      const res = await server.api("POST", "/auth/register", {
        body: "email=a@b.c",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.deepEqual([res.status, res.body.detail], [
        415,
        "Content-Type must be application/json",
      ]);
    });

    await t.step("a body over the limit is 413, declared or streamed", async () => {
      const big = JSON.stringify({ email: "a@b.c", password: "x".repeat(2 * 1024 * 1024) });
      const res = await server.api("POST", "/auth/register", { body: big });
      assert.deepEqual([res.status, res.body.detail], [413, "Request body too large"]);
      const stream = new Blob([big]).stream();
      const streamed = await fetch(`${server.url}/api/v1/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: stream,
      });
      assert.equal(streamed.status, 413);
      await streamed.body?.cancel();
    });

    await t.step("nothing was created by the refused requests", async () => {
      const count = await server.deps.db.selectFrom("users").select((eb) =>
        eb.fn.countAll().as("n")
      )
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 1);
    });
  } finally {
    await server.close();
  }
});

Deno.test("login", async (t) => {
  const server = await startTestServer();
  try {
    await server.register("ann@example.com");

    await t.step("right credentials sign in, email case-insensitive", async () => {
      const res = await server.api("POST", "/auth/login", {
        body: { email: "Ann@Example.COM", password: "secure123" },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.user.email, "ann@example.com");
      assert.equal(res.body.deletion_cancelled, undefined);
      const me = await server.api("GET", "/users/me", { token: res.body.access_token });
      assert.equal(me.status, 200);
    });

    await t.step("a wrong password and an unknown email answer the same 401", async () => {
      const wrong = await server.api("POST", "/auth/login", {
        body: { email: "ann@example.com", password: "wrong-password" },
      });
      const unknown = await server.api("POST", "/auth/login", {
        body: { email: "nobody@example.com", password: "secure123" },
      });
      for (const res of [wrong, unknown]) {
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, {
          detail: "Invalid email or password",
          code: "INVALID_CREDENTIALS",
        });
      }
    });

    await t.step("sign-ins and failures are audited with IP and user agent", async () => {
      const events = await server.deps.db.selectFrom("audit_events").selectAll().orderBy("id")
        .execute();
      const names = events.map((e) => e.event);
      assert.deepEqual(names, [
        "user.registered",
        "sign_in.succeeded",
        "sign_in.failed",
        "sign_in.failed",
      ]);
      assert.equal(events[1].ip_address, "127.0.0.1");
      assert.ok(events[1].user_agent);
      assert.equal(events[3].user_id, null);
    });

    await t.step({
      name: "sign-ins commit on the commit thread's connection, not the server's",
      ignore: onPostgres, // SQLite's CommitThread; PostgreSQL commits on the pool
      fn: async () => {
        // `data_version` moves only when another connection commits.
        const version = () => pragma(server.deps.db, "data_version");
        for (const password of ["secure123", "wrong-password"]) {
          const before = await version();
          await server.api("POST", "/auth/login", { body: { email: "ann@example.com", password } });
          assert.notEqual(await version(), before, `a sign-in with ${password}`);
        }
        const before = await version();
        await server.deps.db.updateTable("users").set({ name: "Ann" }).execute();
        assert.equal(await version(), before, "a write on the server's own connection");
      },
    });
  } finally {
    await server.close();
  }
});

Deno.test("refresh tokens rotate and are single use", async (t) => {
  const server = await startTestServer();
  try {
    const signedIn = await server.register();
    const refresh = (token: string) =>
      server.api("POST", "/auth/refresh", { body: { refresh_token: token } });

    let current = signedIn.refresh_token as string;
    let parent = current;
    await t.step("a refresh returns a new pair and spends the old token", async () => {
      const res = await refresh(current);
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body).sort(), [
        "access_token",
        "expires_in",
        "refresh_token",
        "token_type",
      ]);
      assert.notEqual(res.body.refresh_token, current);
      parent = current;
      current = res.body.refresh_token;
      const me = await server.api("GET", "/users/me", { token: res.body.access_token });
      assert.equal(me.status, 200);
    });

    await t.step("only hashes are stored: no token appears in the database", async () => {
      const rows = await server.deps.db.selectFrom("refresh_tokens").selectAll().execute();
      const dump = JSON.stringify(rows);
      assert.ok(!dump.includes(current) && !dump.includes(parent));
      assert.ok(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash)));
    });

    await t.step(
      "replaying the parent inside the reuse window returns the same successor",
      async () => {
        server.clock.advance(5_000);
        const res = await refresh(parent);
        assert.equal(res.status, 200);
        assert.equal(res.body.refresh_token, current);
      },
    );

    await t.step("replaying it after the window revokes the whole session", async () => {
      server.clock.advance(6_000);
      const res = await refresh(parent);
      assert.deepEqual([res.status, res.body.detail], [401, "Invalid refresh token"]);
      const after = await refresh(current);
      assert.equal(after.status, 401, "the live successor died with its family");
      const reused = await server.deps.db.selectFrom("audit_events").selectAll()
        .where("event", "=", "refresh_token.reused").execute();
      assert.equal(reused.length, 1);
    });

    await t.step("an unknown token is 401 Invalid refresh token", async () => {
      const res = await refresh("not-a-token");
      assert.deepEqual(res.body, {
        detail: "Invalid refresh token",
        code: "INVALID_REFRESH_TOKEN",
      });
    });

    await t.step("a refresh token expires after 30 days", async () => {
      const fresh = await server.register();
      server.clock.advance(30 * 86_400_000 + 1000);
      const res = await refresh(fresh.refresh_token);
      assert.equal(res.status, 401);
    });
  } finally {
    await server.close();
  }
});

Deno.test("concurrent refreshes of one token never mint two successors", async (t) => {
  for (const window of ["10", "0"]) {
    await t.step(`with a reuse window of ${window} s`, async () => {
      const server = await startTestServer({ REFRESH_REUSE_INTERVAL: window });
      try {
        const { refresh_token } = await server.register();
        const results = await Promise.all(
          Array.from(
            { length: 25 },
            () => server.api("POST", "/auth/refresh", { body: { refresh_token } }),
          ),
        );
        const successors = new Set(
          results.filter((r) => r.status === 200).map((r) => r.body.refresh_token),
        );
        const tokens = await server.deps.db.selectFrom("refresh_tokens").select("id").execute();
        assert.equal(tokens.length, 2, "exactly one successor was stored");
        if (window === "10") {
          assert.equal(successors.size, 1);
          assert.ok(results.every((r) => r.status === 200), "every tab stays signed in");
        } else {
          assert.ok(successors.size <= 1);
          assert.equal(results.filter((r) => r.status === 200).length, 1);
          const session = await server.deps.db.selectFrom("sessions").select("revoked_reason")
            .executeTakeFirstOrThrow();
          assert.equal(session.revoked_reason, "refresh_token_reuse");
        }
      } finally {
        await server.close();
      }
    });
  }
});

Deno.test("logout ends the session at once", async () => {
  const server = await startTestServer();
  try {
    const signedIn = await server.register();
    const res = await server.api("POST", "/auth/logout", {
      body: { refresh_token: signedIn.refresh_token },
    });
    assert.deepEqual([res.status, res.body], [200, { message: "Logged out" }]);
    const me = await server.api("GET", "/users/me", { token: signedIn.access_token });
    assert.deepEqual([me.status, me.body.detail], [401, "Invalid or expired access token"]);
    const again = await server.api("POST", "/auth/logout", {
      body: { refresh_token: signedIn.refresh_token },
    });
    assert.deepEqual([again.status, again.body.detail], [401, "Invalid refresh token"]);
    const refresh = await server.api("POST", "/auth/refresh", {
      body: { refresh_token: signedIn.refresh_token },
    });
    assert.equal(refresh.status, 401);
  } finally {
    await server.close();
  }
});

Deno.test("access tokens expire after 15 minutes", async () => {
  const server = await startTestServer();
  try {
    const { access_token } = await server.register();
    server.clock.advance(14 * 60_000);
    assert.equal((await server.api("GET", "/users/me", { token: access_token })).status, 200);
    server.clock.advance(61_000);
    const res = await server.api("GET", "/users/me", { token: access_token });
    assert.deepEqual([res.status, res.body.detail], [401, "Invalid or expired access token"]);
  } finally {
    await server.close();
  }
});
