import assert from "node:assert/strict";
import { linkToken, type ReadMail } from "../helpers/mail.ts";
import { startTestServer, type TestServer } from "../helpers/test_server.ts";

/** Changes the signed-in member's address and confirms it; returns the "this wasn't me" token. */
async function changeEmail(server: TestServer, accessToken: string, from: string, to: string) {
  const asked = await server.api("POST", "/users/me/email/change", {
    token: accessToken,
    body: { new_email: to, password: "secure123" },
  });
  assert.equal(asked.status, 200, JSON.stringify(asked.body));
  const confirm = (await server.mailTo(to)).at(-1)!;
  const confirmed = await server.api("POST", "/users/me/email/verify", {
    body: { token: linkToken(confirm) },
  });
  assert.equal(confirmed.status, 200);
  const notice = (await server.mailTo(from)).filter((m) => /was changed/.test(m.subject)).at(-1)!;
  return { notice, token: linkToken(notice) };
}

const revert = (server: TestServer, token: string) =>
  server.api("POST", "/auth/email-change/revert", { body: { token } });

const emailOf = async (server: TestServer, id: string) =>
  (await server.deps.db.selectFrom("users").select("email").where("id", "=", id)
    .executeTakeFirstOrThrow()).email;

Deno.test("the notice to the old address carries a 'this wasn't me' link that restores it", async (t) => {
  const server = await startTestServer();
  try {
    const owner = await server.register("a@example.com");
    const id = owner.user.id;
    const token = owner.access_token;
    const viaA = await changeEmail(server, token, "a@example.com", "b@example.com");
    const viaB = await changeEmail(server, token, "b@example.com", "c@example.com");
    const viaC = await changeEmail(server, token, "c@example.com", "d@example.com");
    // A change still pending when the address is restored must not complete afterwards.
    await server.api("POST", "/users/me/email/change", {
      token,
      body: { new_email: "pending@example.com", password: "secure123" },
    });

    await t.step("the notice links to the page, valid 7 days", () => {
      const notice: ReadMail = viaA.notice;
      assert.match(notice.text, /changed to b@example\.com/);
      assert.match(notice.text, /http:\/\/localhost:0\/revert-email-change\?token=/);
      assert.match(notice.text, /within 7 days/);
    });

    await t.step(
      "a link returns the address it was sent to, even after later changes",
      async () => {
        const res = await revert(server, viaB.token);
        assert.deepEqual([res.status, res.body.email], [200, "b@example.com"]);
        assert.equal(await emailOf(server, id), "b@example.com");
      },
    );

    await t.step("every session is revoked and the old password no longer signs in", async () => {
      assert.equal((await server.api("GET", "/users/me", { token })).status, 401);
      const login = await server.api("POST", "/auth/login", {
        body: { email: "b@example.com", password: "secure123" },
      });
      assert.equal(login.status, 401);
    });

    await t.step("links of later changes stop working; earlier ones still restore", async () => {
      const later = await revert(server, viaC.token);
      assert.deepEqual([later.status, later.body.detail, later.body.code], [
        400,
        "Invalid or expired link",
        "INVALID_REVERT_TOKEN",
      ]);
      const earlier = await revert(server, viaA.token);
      assert.deepEqual([earlier.status, earlier.body.email], [200, "a@example.com"]);
      assert.equal(await emailOf(server, id), "a@example.com");
      assert.equal((await revert(server, viaA.token)).status, 400, "single use");
    });

    await t.step("the pending email change was cancelled", async () => {
      const [pending] = await server.mailTo("pending@example.com");
      const res = await server.api("POST", "/users/me/email/verify", {
        body: { token: linkToken(pending) },
      });
      assert.equal(res.status, 400);
      assert.equal(await emailOf(server, id), "a@example.com");
    });

    await t.step("a reset link went to the restored address; it sets a new password", async () => {
      const mails = (await server.mailTo("a@example.com")).filter((m) =>
        /restored/.test(m.subject)
      );
      assert.equal(mails.length, 1);
      assert.match(mails[0].text, /reset-password\?token=/);
      const stale = (await server.mailTo("b@example.com")).filter((m) =>
        /restored/.test(m.subject)
      );
      const staleReset = await server.api("POST", "/auth/password/reset", {
        body: { token: linkToken(stale[0]), new_password: "attacker-pass-1" },
      });
      assert.equal(staleReset.status, 400, "the reset sent to the replaced address is superseded");
      const reset = await server.api("POST", "/auth/password/reset", {
        body: { token: linkToken(mails[0]), new_password: "owner-again-1" },
      });
      assert.equal(reset.status, 200);
      const login = await server.api("POST", "/auth/login", {
        body: { email: "a@example.com", password: "owner-again-1" },
      });
      assert.deepEqual([login.status, login.body.user.email_verified], [200, true]);
    });

    await t.step("each revert is audited", async () => {
      const events = await server.deps.db.selectFrom("audit_events").select("event")
        .where("user_id", "=", id).where("event", "=", "email.change_reverted").execute();
      assert.equal(events.length, 2);
    });
  } finally {
    await server.close();
  }
});

Deno.test("a revert link expires after 7 days and refuses an address taken meanwhile", async (t) => {
  const server = await startTestServer({ ACCESS_TOKEN_TTL: "86400" });
  try {
    const owner = await server.register("first@example.com");
    const link = await changeEmail(
      server,
      owner.access_token,
      "first@example.com",
      "second@example.com",
    );

    await t.step(
      "the old address is held for the link: no one registers or moves to it",
      async () => {
        const register = await server.api("POST", "/auth/register", {
          body: { email: "first@example.com", password: "secure123" },
        });
        assert.deepEqual([register.status, register.body.detail], [
          400,
          "Email already registered",
        ]);
        const other = await server.register("other@example.com");
        const move = await server.api("POST", "/users/me/email/change", {
          token: other.access_token,
          body: { new_email: "first@example.com", password: "secure123" },
        });
        assert.deepEqual([move.status, move.body.detail], [400, "Email already registered"]);
      },
    );

    await t.step("another account holding the old address: 400, nothing changes", async () => {
      // No API path gives a held address away; an operator's direct edit still could.
      const squatter = await server.register("squatter@example.com");
      await server.deps.db.updateTable("users").set({ email: "first@example.com" })
        .where("id", "=", squatter.user.id).execute();
      const res = await revert(server, link.token);
      assert.deepEqual([res.status, res.body.detail, res.body.code], [
        400,
        "The previous email address now belongs to another account",
        "REVERT_ADDRESS_TAKEN",
      ]);
      assert.equal(await emailOf(server, owner.user.id), "second@example.com");
      assert.equal(await emailOf(server, squatter.user.id), "first@example.com");
      const me = await server.api("GET", "/users/me", { token: owner.access_token });
      assert.equal(me.status, 200, "sessions untouched");
      const row = await server.deps.db.selectFrom("email_tokens").select("used_at")
        .where("purpose", "=", "revert_email_change").executeTakeFirstOrThrow();
      assert.equal(row.used_at, null, "the refused link stays usable for its 7 days");
      await server.deps.db.deleteFrom("users").where("id", "=", squatter.user.id).execute();
    });

    await t.step("after 7 days the link is refused and the address is free", async () => {
      server.clock.advance(7 * 86_400_000 + 1000);
      const res = await revert(server, link.token);
      assert.deepEqual([res.status, res.body.detail], [400, "Invalid or expired link"]);
      assert.equal(await emailOf(server, owner.user.id), "second@example.com");
      const register = await server.api("POST", "/auth/register", {
        body: { email: "first@example.com", password: "secure123" },
      });
      assert.equal(register.status, 201);
    });
  } finally {
    await server.close();
  }
});

Deno.test("/revert-email-change shows a button; posting it restores the address", async () => {
  const server = await startTestServer();
  try {
    const owner = await server.register("page@example.com");
    const link = await changeEmail(
      server,
      owner.access_token,
      "page@example.com",
      "moved@example.com",
    );
    const page = await fetch(`${server.url}/revert-email-change?token=${link.token}`);
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.match(html, /Restore my address/);
    assert.equal(
      await emailOf(server, owner.user.id),
      "moved@example.com",
      "a GET changes nothing",
    );
    const posted = await fetch(`${server.url}/revert-email-change`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: link.token }),
    });
    assert.equal(posted.status, 200);
    assert.match(await posted.text(), /page@example\.com again/);
    assert.equal(await emailOf(server, owner.user.id), "page@example.com");
    const again = await fetch(`${server.url}/revert-email-change`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: link.token }),
    });
    assert.equal(again.status, 400);
    assert.match(await again.text(), /Invalid or expired link/);
  } finally {
    await server.close();
  }
});
