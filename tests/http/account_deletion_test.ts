import assert from "node:assert/strict";
import { linkToken } from "../helpers/mail.ts";
import { startTestServer, type TestServer } from "../helpers/test_server.ts";

const PHRASE = "DELETE MY ACCOUNT";
const DAY = 86_400_000;

function deleteAccount(server: TestServer, token: string, body: unknown) {
  return server.api("DELETE", "/users/me", { token, body });
}

Deno.test("DELETE /users/me: contract, immediate revocation, confirmation mail", async (t) => {
  const server = await startTestServer();
  try {
    const member = await server.register("leaving@example.com");
    const other = await server.api("POST", "/auth/login", {
      body: { email: "leaving@example.com", password: "secure123" },
    });

    await t.step("a wrong phrase is 400 with a clear detail", async () => {
      for (const confirmation of ["delete my account", "DELETE MY ACCOUNT ", ""]) {
        const res = await deleteAccount(server, member.access_token, {
          password: "secure123",
          confirmation,
        });
        assert.deepEqual([res.status, res.body.detail], [
          400,
          `confirmation must be exactly "${PHRASE}"`,
        ]);
      }
    });

    await t.step("a wrong password is 401 Invalid password", async () => {
      const res = await deleteAccount(server, member.access_token, {
        password: "nope-nope",
        confirmation: PHRASE,
      });
      assert.deepEqual([res.status, res.body], [401, {
        detail: "Invalid password",
        code: "INVALID_PASSWORD",
      }]);
    });

    await t.step("the password is never read from the query string", async () => {
      const res = await server.api(
        "DELETE",
        `/users/me?password=secure123&confirmation=${encodeURIComponent(PHRASE)}`,
        {
          token: member.access_token,
        },
      );
      // Neither field is read from there (the password is optional for members without one).
      assert.deepEqual([res.status, res.body.detail], [400, "confirmation is required"]);
    });

    await t.step("nothing changed so far", async () => {
      const me = await server.api("GET", "/users/me", { token: member.access_token });
      assert.deepEqual([me.body.status, me.body.deletion_date], ["active", null]);
    });

    await t.step("success schedules the deletion 14 days out", async () => {
      const res = await deleteAccount(server, member.access_token, {
        password: "secure123",
        confirmation: PHRASE,
      });
      const expected = new Date(server.clock.now().getTime() + 14 * DAY).toISOString();
      assert.deepEqual([res.status, res.body], [200, {
        message: "Account scheduled for deletion",
        deletion_date: expected,
      }]);
      const row = await server.deps.db.selectFrom("users").select(["status", "deletion_date"])
        .executeTakeFirstOrThrow();
      assert.deepEqual({ ...row }, { status: "pending_deletion", deletion_date: expected });
    });

    await t.step("every session is revoked at once", async () => {
      for (const token of [member.access_token, other.body.access_token]) {
        assert.equal((await server.api("GET", "/users/me", { token })).status, 401);
      }
      const refresh = await server.api("POST", "/auth/refresh", {
        body: { refresh_token: other.body.refresh_token },
      });
      assert.equal(refresh.status, 401);
    });

    await t.step("a mail gives the date and a one-click cancel link", async () => {
      const mail = (await server.mailTo("leaving@example.com")).find((m) =>
        /will be deleted/.test(m.subject)
      )!;
      assert.match(mail.text, /scheduled for deletion on 2026-12-07/);
      assert.match(mail.text, /\/cancel-deletion\?token=/);
    });
  } finally {
    await server.close();
  }
});

Deno.test("a pending deletion is cancelled by signing in, by the link, or after a password reset", async (t) => {
  const server = await startTestServer();
  const schedule = async (email: string) => {
    const member = await server.register(email);
    await deleteAccount(server, member.access_token, {
      password: "secure123",
      confirmation: PHRASE,
    });
    const mail = (await server.mailTo(email)).find((m) => /will be deleted/.test(m.subject))!;
    return linkToken(mail);
  };
  const status = async (email: string) => ({
    ...await server.deps.db.selectFrom("users").select(["status", "deletion_date"])
      .where("email", "=", email).executeTakeFirstOrThrow(),
  });
  try {
    await t.step("signing in before the date restores the account and says so", async () => {
      const cancelToken = await schedule("login@example.com");
      server.clock.advance(13 * DAY);
      const res = await server.api("POST", "/auth/login", {
        body: { email: "login@example.com", password: "secure123" },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.deletion_cancelled, true);
      assert.deepEqual([res.body.user.status, res.body.user.deletion_date], ["active", null]);
      assert.deepEqual(await status("login@example.com"), {
        status: "active",
        deletion_date: null,
      });
      const confirm = (await server.mailTo("login@example.com")).find((m) =>
        /will not be deleted/.test(m.subject)
      );
      assert.ok(confirm);
      const link = await server.api("POST", "/auth/deletion/cancel", {
        body: { token: cancelToken },
      });
      assert.deepEqual(
        [link.status, link.body.detail],
        [400, "Invalid cancellation token"],
        "the link is spent",
      );
      const again = await server.api("POST", "/auth/login", {
        body: { email: "login@example.com", password: "secure123" },
      });
      assert.equal(again.body.deletion_cancelled, undefined);
    });

    await t.step("the mailed link cancels it; fetching the page consumes nothing", async () => {
      const cancelToken = await schedule("link@example.com");
      const page = await fetch(`${server.url}/cancel-deletion?token=${cancelToken}`);
      assert.match(await page.text(), /Cancel the deletion/);
      assert.equal((await status("link@example.com")).status, "pending_deletion");
      const res = await fetch(`${server.url}/cancel-deletion`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: cancelToken }),
      });
      assert.match(await res.text(), /will not be deleted/);
      assert.deepEqual(await status("link@example.com"), { status: "active", deletion_date: null });
      const reuse = await server.api("POST", "/auth/deletion/cancel", {
        body: { token: cancelToken },
      });
      assert.deepEqual([reuse.status, reuse.body.detail], [400, "Invalid cancellation token"]);
    });

    await t.step("the API endpoint cancels it too", async () => {
      const cancelToken = await schedule("api@example.com");
      const res = await server.api("POST", "/auth/deletion/cancel", {
        body: { token: cancelToken },
      });
      assert.deepEqual([res.status, res.body], [200, { message: "Account deletion cancelled" }]);
      assert.equal((await status("api@example.com")).status, "active");
    });

    await t.step("a member who forgot the password resets it, signs in, and cancels", async () => {
      await schedule("forgot@example.com");
      await server.api("POST", "/auth/password/forgot", { body: { email: "forgot@example.com" } });
      const reset = (await server.mailTo("forgot@example.com")).find((m) =>
        /reset your password/.test(m.subject)
      )!;
      const done = await server.api("POST", "/auth/password/reset", {
        body: { token: linkToken(reset), new_password: "a-brand-new-one" },
      });
      assert.equal(done.status, 200);
      assert.equal(
        (await status("forgot@example.com")).status,
        "pending_deletion",
        "reset alone cancels nothing",
      );
      const res = await server.api("POST", "/auth/login", {
        body: { email: "forgot@example.com", password: "a-brand-new-one" },
      });
      assert.equal(res.body.deletion_cancelled, true);
    });

    await t.step(
      "past the date the account no longer signs in, and the link no longer works",
      async () => {
        const cancelToken = await schedule("late@example.com");
        server.clock.advance(14 * DAY + 1000);
        const res = await server.api("POST", "/auth/login", {
          body: { email: "late@example.com", password: "secure123" },
        });
        assert.deepEqual([res.status, res.body.detail], [401, "Invalid email or password"]);
        const link = await server.api("POST", "/auth/deletion/cancel", {
          body: { token: cancelToken },
        });
        assert.equal(link.status, 400);
      },
    );
  } finally {
    await server.close();
  }
});

Deno.test("the same operation through @trpc/client", async () => {
  const server = await startTestServer();
  try {
    const member = await server.register("trpcdel@example.com");
    const client = server.trpc(member.access_token);
    const error = await client.users.deleteMe.mutate({ password: "secure123", confirmation: "yes" })
      .catch((e) => e);
    assert.equal(error.data.httpStatus, 400);
    const res = await client.users.deleteMe.mutate({ password: "secure123", confirmation: PHRASE });
    assert.equal(res.message, "Account scheduled for deletion");
  } finally {
    await server.close();
  }
});
