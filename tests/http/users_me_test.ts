import assert from "node:assert/strict";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("GET and PATCH /users/me", async (t) => {
  const server = await startTestServer();
  try {
    const { access_token: token, user } = await server.register("pat@example.com");

    await t.step("without a token: 401 Authentication required", async () => {
      const res = await server.api("GET", "/users/me");
      assert.deepEqual([res.status, res.body], [401, {
        detail: "Authentication required",
        code: "NOT_AUTHENTICATED",
      }]);
    });

    await t.step("with a forged or malformed token: 401", async () => {
      const forged = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
      for (const header of [`Bearer ${forged}`, "Bearer x.y.z", "Basic abc", "Bearer"]) {
        const res = await server.api("GET", "/users/me", { headers: { authorization: header } });
        assert.deepEqual(
          [res.status, res.body.detail],
          [401, "Invalid or expired access token"],
          header,
        );
      }
    });

    await t.step("returns the profile", async () => {
      const res = await server.api("GET", "/users/me", { token });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, user);
      assert.equal(res.body.subscription_tier, "free");
      assert.equal(res.body.email_verified, false);
    });

    await t.step("PATCH changes name and phone, stored in E.164 form", async () => {
      server.clock.advance(1000);
      const res = await server.api("PATCH", "/users/me", {
        token,
        body: { name: "  Pat Doe ", phone: "+1 (555) 123-4567" },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.name, "Pat Doe");
      assert.equal(res.body.phone, "+15551234567");
      assert.notEqual(res.body.updated_at, user.updated_at);
    });

    await t.step("phone: null clears it; fields left out stay", async () => {
      const res = await server.api("PATCH", "/users/me", { token, body: { phone: null } });
      assert.deepEqual([res.body.phone, res.body.name], [null, "Pat Doe"]);
    });

    await t.step("contract errors: short name, bad phone; nothing changes", async () => {
      const short = await server.api("PATCH", "/users/me", { token, body: { name: "P" } });
      assert.deepEqual([short.status, short.body.detail], [
        400,
        "Name must be at least 2 characters",
      ]);
      for (const phone of ["abc", "12", "5551234567", "+1 555 0000 0000 0000 0", "++15551234567"]) {
        const bad = await server.api("PATCH", "/users/me", {
          token,
          body: { phone, name: "Other" },
        });
        assert.deepEqual(
          [bad.status, bad.body.detail],
          [400, "Invalid phone number format"],
          phone,
        );
      }
      const me = await server.api("GET", "/users/me", { token });
      assert.equal(me.body.name, "Pat Doe");
    });

    await t.step("email cannot be changed here", async () => {
      const res = await server.api("PATCH", "/users/me", {
        token,
        body: { email: "x@example.com" },
      });
      assert.deepEqual([res.status, res.body.detail], [400, "Unknown field: email"]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("POST /users/me/password", async (t) => {
  const server = await startTestServer();
  try {
    const first = await server.register("pw@example.com");
    const second = await server.api("POST", "/auth/login", {
      body: { email: "pw@example.com", password: "secure123" },
    });
    const change = (body: unknown) =>
      server.api("POST", "/users/me/password", { token: first.access_token, body });

    await t.step("a wrong current password is 401 Current password is incorrect", async () => {
      const res = await change({ current_password: "nope-nope", new_password: "another-secret-1" });
      assert.deepEqual([res.status, res.body.detail], [401, "Current password is incorrect"]);
    });

    await t.step("a weak new password is refused", async () => {
      const res = await change({ current_password: "secure123", new_password: "password1" });
      assert.deepEqual([res.status, res.body.detail], [400, "Password does not meet requirements"]);
    });

    await t.step("the same password is refused", async () => {
      const res = await change({ current_password: "secure123", new_password: "secure123" });
      assert.deepEqual([res.status, res.body.detail], [400, "New password must be different"]);
    });

    await t.step("success keeps this session and revokes the others at once", async () => {
      const res = await change({ current_password: "secure123", new_password: "another-secret-1" });
      assert.deepEqual([res.status, res.body], [200, { message: "Password changed successfully" }]);
      assert.equal(
        (await server.api("GET", "/users/me", { token: first.access_token })).status,
        200,
      );
      assert.equal(
        (await server.api("GET", "/users/me", { token: second.body.access_token })).status,
        401,
      );
      const refresh = await server.api("POST", "/auth/refresh", {
        body: { refresh_token: second.body.refresh_token },
      });
      assert.equal(refresh.status, 401);
    });

    await t.step("the new password signs in, the old one does not", async () => {
      const old = await server.api("POST", "/auth/login", {
        body: { email: "pw@example.com", password: "secure123" },
      });
      assert.equal(old.status, 401);
      const fresh = await server.api("POST", "/auth/login", {
        body: { email: "pw@example.com", password: "another-secret-1" },
      });
      assert.equal(fresh.status, 200);
    });

    await t.step("the stored hash is Argon2id", async () => {
      const row = await server.deps.db.selectFrom("users").select("password_hash")
        .executeTakeFirstOrThrow();
      assert.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    });
  } finally {
    await server.close();
  }
});

Deno.test("sessions: list, revoke one, revoke all", async (t) => {
  const server = await startTestServer();
  try {
    const a = await server.register("s@example.com");
    const b = (await server.api("POST", "/auth/login", {
      body: { email: "s@example.com", password: "secure123" },
      headers: { "user-agent": "Phone/1.0" },
    })).body;
    const other = await server.register("other@example.com");

    await t.step("lists live sessions with the caller's marked current", async () => {
      const res = await server.api("GET", "/users/me/sessions", { token: a.access_token });
      assert.equal(res.status, 200);
      assert.equal(res.body.sessions.length, 2);
      assert.equal(res.body.sessions.filter((s: { current: boolean }) => s.current).length, 1);
      const phone = res.body.sessions.find((s: { user_agent: string }) =>
        s.user_agent === "Phone/1.0"
      );
      assert.equal(phone.current, false);
      assert.equal(phone.ip_address, "127.0.0.1");
      assert.deepEqual(Object.keys(phone).sort(), [
        "created_at",
        "current",
        "expires_at",
        "id",
        "ip_address",
        "last_used_at",
        "user_agent",
      ]);
    });

    const listed = await server.api("GET", "/users/me/sessions", { token: b.access_token });
    const bSession = listed.body.sessions.find((s: { current: boolean }) => s.current).id;

    await t.step(
      "another member's session, or an unknown id, is 404 Session not found",
      async () => {
        const foreign = await server.api("DELETE", `/users/me/sessions/${bSession}`, {
          token: other.access_token,
        });
        assert.deepEqual([foreign.status, foreign.body.detail], [404, "Session not found"]);
        const bogus = await server.api("DELETE", "/users/me/sessions/not-a-uuid", {
          token: a.access_token,
        });
        assert.deepEqual([bogus.status, bogus.body.detail], [404, "Session not found"]);
      },
    );

    await t.step("revoking a session stops its access token on the next request", async () => {
      assert.equal((await server.api("GET", "/users/me", { token: b.access_token })).status, 200);
      const res = await server.api("DELETE", `/users/me/sessions/${bSession}`, {
        token: a.access_token,
      });
      assert.deepEqual([res.status, res.body], [200, { message: "Session revoked" }]);
      assert.equal((await server.api("GET", "/users/me", { token: b.access_token })).status, 401);
      const again = await server.api("DELETE", `/users/me/sessions/${bSession}`, {
        token: a.access_token,
      });
      assert.equal(again.status, 404);
    });

    await t.step("logout-all revokes every session, this one included", async () => {
      await server.api("POST", "/auth/login", {
        body: { email: "s@example.com", password: "secure123" },
      });
      const res = await server.api("POST", "/users/me/logout-all", { token: a.access_token });
      assert.deepEqual([res.status, res.body], [200, {
        message: "Logged out of all sessions",
        revoked: 2,
      }]);
      assert.equal((await server.api("GET", "/users/me", { token: a.access_token })).status, 401);
      assert.equal(
        (await server.api("GET", "/users/me", { token: other.access_token })).status,
        200,
      );
    });
  } finally {
    await server.close();
  }
});
