import assert from "node:assert/strict";
import { TRPCClientError } from "@trpc/client";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("the same procedures through @trpc/client", async (t) => {
  const server = await startTestServer();
  try {
    const anonymous = server.trpc();
    const signedIn = await anonymous.auth.register.mutate({
      email: "trpc@example.com",
      password: "secure123",
      name: "Tee",
    });

    await t.step("register and me are typed end to end", async () => {
      const me = await server.trpc(signedIn.access_token).users.me.query();
      assert.equal(me.email, "trpc@example.com");
      assert.equal(me.name, "Tee");
    });

    await t.step("errors carry detail and code", async () => {
      const error = await anonymous.auth.login.mutate({
        email: "trpc@example.com",
        password: "nope-nope",
      })
        .catch((e) => e);
      assert.ok(error instanceof TRPCClientError);
      assert.equal(error.message, "Invalid email or password");
      assert.equal(error.data.detail, "Invalid email or password");
      assert.equal(error.data.code, "INVALID_CREDENTIALS");
      assert.equal(error.data.httpStatus, 401);
      assert.equal(error.data.stack, undefined);
    });

    await t.step("validation errors list the fields", async () => {
      const error = await server.trpc(signedIn.access_token).users.updateMe.mutate({ name: "X" })
        .catch((e) => e);
      assert.equal(error.data.code, "VALIDATION_ERROR");
      assert.equal(error.data.detail, "Name must be at least 2 characters");
      assert.deepEqual(error.data.errors, [{
        field: "name",
        message: "Name must be at least 2 characters",
      }]);
    });

    await t.step("a revoked session stops working at once over tRPC too", async () => {
      const client = server.trpc(signedIn.access_token);
      await client.users.logoutAll.mutate();
      const error = await client.users.me.query().catch((e) => e);
      assert.equal(error.data.httpStatus, 401);
      assert.equal(error.data.detail, "Invalid or expired access token");
    });

    await t.step("rate-limited tRPC calls send Retry-After", async () => {
      const limited = await startTestServer({ RATE_LIMIT_REFRESH_PER_IP: "1/60" });
      try {
        const call = () =>
          fetch(`${limited.url}/trpc/auth.refresh`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ refresh_token: "x" }),
          });
        await (await call()).body?.cancel();
        const res = await call();
        assert.equal(res.status, 429);
        assert.equal(res.headers.get("retry-after"), "60");
        const body = await res.json();
        assert.equal(body.error.data.detail, "Too many requests, try again later");
      } finally {
        await limited.close();
      }
    });

    await t.step("an oversized tRPC body is 413", async () => {
      const res = await fetch(`${server.url}/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "a@b.c", password: "x".repeat(2_000_000) }),
      });
      assert.equal(res.status, 413);
      assert.equal((await res.json()).detail, "Request body too large");
    });

    await t.step("malformed JSON over tRPC is 400 with a detail", async () => {
      const res = await fetch(`${server.url}/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{nope",
      });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.data.detail, "Malformed JSON body");
    });
  } finally {
    await server.close();
  }
});
