import assert from "node:assert/strict";
import { argon2idHasher, type PasswordHasher } from "../../src/services/passwords.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("wrong passwords behind a bearer token are limited like sign-ins", async (t) => {
  const server = await startTestServer({ ACCESS_TOKEN_TTL: "86400" }); // outlives the lock
  try {
    const member = await server.register("guessed@example.com");
    const token = member.access_token;
    const changePassword = (current_password: string) =>
      server.api("POST", "/users/me/password", {
        token,
        body: { current_password, new_password: "another-secure-1" },
      });

    await t.step("12 wrong passwords in a row end in 429 with Retry-After", async () => {
      const statuses = [];
      let last;
      for (let i = 0; i < 12; i++) {
        last = await changePassword(`wrong-guess-${i}`);
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, ...Array(7).fill(429)]);
      assert.equal(last!.headers.get("retry-after"), "900");
    });

    await t.step("the right password is refused too until the window passes", async () => {
      const refused = await changePassword("secure123");
      assert.equal(refused.status, 429);
      server.clock.advance(900_000);
      const accepted = await changePassword("secure123");
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    });
  } finally {
    await server.close();
  }
});

Deno.test("email change, deletion and sign-in failures count against one account", async () => {
  const server = await startTestServer();
  try {
    const member = await server.register("shared@example.com");
    const token = member.access_token;
    const emailChange = await server.api("POST", "/users/me/email/change", {
      token,
      body: { new_email: "new@example.com", password: "wrong-guess" },
    });
    assert.equal(emailChange.status, 401);
    for (let i = 0; i < 2; i++) {
      const deletion = await server.api("DELETE", "/users/me", {
        token,
        body: { password: "wrong-guess", confirmation: "DELETE MY ACCOUNT" },
      });
      assert.equal(deletion.status, 401);
    }
    for (let i = 0; i < 2; i++) {
      const login = await server.api("POST", "/auth/login", {
        body: { email: "shared@example.com", password: "wrong-guess" },
      });
      assert.equal(login.status, 401);
    }
    const sixth = await server.api("POST", "/users/me/email/change", {
      token,
      body: { new_email: "new@example.com", password: "secure123" },
    });
    assert.equal(sixth.status, 429);
    assert.equal(sixth.headers.get("retry-after"), "900");
    const row = await server.deps.db.selectFrom("users").select("status")
      .where("email", "=", "shared@example.com").executeTakeFirstOrThrow();
    assert.equal(row.status, "active");
  } finally {
    await server.close();
  }
});

Deno.test("email-change requests are limited per member (RATE_LIMIT_EMAIL_CHANGE)", async () => {
  const server = await startTestServer({
    RATE_LIMIT_EMAIL_CHANGE: "3/3600",
    ACCESS_TOKEN_TTL: "86400",
  });
  try {
    await server.register("taken@example.com");
    const member = await server.register("asker@example.com");
    const ask = (new_email: string) =>
      server.api("POST", "/users/me/email/change", {
        token: member.access_token,
        body: { new_email, password: "secure123" },
      });
    assert.equal((await ask("taken@example.com")).status, 400);
    assert.equal((await ask("free1@example.com")).status, 200);
    assert.equal((await ask("taken@example.com")).status, 400);
    const limited = await ask("free2@example.com");
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "3600");
    server.clock.advance(3_600_000);
    assert.equal((await ask("free2@example.com")).status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("registering a taken address spends an Argon2id hash like a free one", async () => {
  const real = argon2idHasher(1);
  let hashes = 0;
  const counting: PasswordHasher = {
    ...real,
    hash: (password) => {
      hashes++;
      return real.hash(password);
    },
  };
  const server = await startTestServer({}, { passwords: counting });
  try {
    await server.register("first@example.com");
    assert.equal(hashes, 1);
    const again = await server.api("POST", "/auth/register", {
      body: { email: "First@Example.com", password: "secure123" },
    });
    assert.deepEqual([again.status, again.body.detail], [400, "Email already registered"]);
    assert.equal(hashes, 2, "the taken address was hashed too");
  } finally {
    await server.close();
  }
});
