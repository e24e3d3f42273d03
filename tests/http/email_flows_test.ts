import assert from "node:assert/strict";
import { linkToken } from "../helpers/mail.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("sign-up verification", async (t) => {
  const server = await startTestServer();
  try {
    const { access_token } = await server.register("new@example.com");
    const [mail] = await server.mailTo("new@example.com");

    await t.step("registration mails a link to a page of PUBLIC_URL", () => {
      assert.equal(mail.subject, "Vestibule: confirm your email address");
      assert.match(mail.text, /http:\/\/localhost:0\/verify-email\?token=[A-Za-z0-9_-]{43}/);
      assert.match(mail.html, /href="http:\/\/localhost:0\/verify-email\?token=/);
      assert.match(mail.messageId, /^<[0-9a-f]{32}@localhost>$/);
    });

    await t.step(
      "the outbox never held the token in plaintext, and dropped it once sent",
      async () => {
        const rows = await server.deps.db.selectFrom("outbox").selectAll().execute();
        assert.equal(rows.length, 1);
        assert.equal(rows[0].status, "sent");
        assert.equal(rows[0].secret_sealed, null);
        assert.ok(!JSON.stringify(rows).includes(linkToken(mail)));
        assert.match(rows[0].text_body, /\{\{secret\}\}/);
      },
    );

    await t.step("fetching the link (as a scanner would) consumes nothing", async () => {
      const page = await fetch(`${server.url}/verify-email?token=${linkToken(mail)}`);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get("referrer-policy"), "no-referrer");
      assert.match(await page.text(), /<form method="post" action="\/verify-email">/);
      const me = await server.api("GET", "/users/me", { token: access_token });
      assert.equal(me.body.email_verified, false);
    });

    await t.step("POST /auth/verify-email verifies once", async () => {
      const res = await server.api("POST", "/auth/verify-email", {
        body: { token: linkToken(mail) },
      });
      assert.deepEqual([res.status, res.body], [200, {
        message: "Email verified",
        email: "new@example.com",
      }]);
      const me = await server.api("GET", "/users/me", { token: access_token });
      assert.equal(me.body.email_verified, true);
      const again = await server.api("POST", "/auth/verify-email", {
        body: { token: linkToken(mail) },
      });
      assert.deepEqual([again.status, again.body], [400, {
        detail: "Invalid verification token",
        code: "INVALID_VERIFICATION_TOKEN",
      }]);
    });

    await t.step("resend is refused once verified", async () => {
      const res = await server.api("POST", "/auth/verify-email/resend", { token: access_token });
      assert.deepEqual([res.status, res.body.detail], [400, "Email already verified"]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("resending verification supersedes the old link and is rate limited", async () => {
  const server = await startTestServer({ RATE_LIMIT_VERIFY_RESEND: "2/3600" });
  try {
    const { access_token } = await server.register("again@example.com");
    assert.equal((await server.api("POST", "/auth/verify-email/resend")).status, 401);
    const first = await server.api("POST", "/auth/verify-email/resend", { token: access_token });
    assert.deepEqual([first.status, first.body], [200, { message: "Verification email sent" }]);
    await server.api("POST", "/auth/verify-email/resend", { token: access_token });
    const limited = await server.api("POST", "/auth/verify-email/resend", { token: access_token });
    assert.equal(limited.status, 429);
    assert.ok(limited.headers.get("retry-after"));
    const mails = await server.mailTo("again@example.com");
    assert.equal(mails.length, 3);
    const old = await server.api("POST", "/auth/verify-email", {
      body: { token: linkToken(mails[0]) },
    });
    assert.equal(old.status, 400, "superseded");
    const latest = await server.api("POST", "/auth/verify-email", {
      body: { token: linkToken(mails[2]) },
    });
    assert.equal(latest.status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("email change", async (t) => {
  const server = await startTestServer();
  try {
    const owner = await server.register("old@example.com");
    await server.register("taken@example.com");
    const change = (body: unknown) =>
      server.api("POST", "/users/me/email/change", { token: owner.access_token, body });
    const confirm = (token: string) =>
      server.api("POST", "/users/me/email/verify", { body: { token } });

    await t.step("a wrong password is 401 Invalid password", async () => {
      const res = await change({ new_email: "new@example.com", password: "wrong-pass" });
      assert.deepEqual([res.status, res.body], [401, {
        detail: "Invalid password",
        code: "INVALID_PASSWORD",
      }]);
    });

    await t.step("an address in use is 400 Email already registered", async () => {
      const res = await change({ new_email: "TAKEN@example.com", password: "secure123" });
      assert.deepEqual([res.status, res.body.detail], [400, "Email already registered"]);
    });

    await t.step("the current address is refused", async () => {
      const res = await change({ new_email: "old@example.com", password: "secure123" });
      assert.equal(res.status, 400);
    });

    await t.step("a request mails the new address; a newer one supersedes it", async () => {
      const first = await change({ new_email: "first@example.com", password: "secure123" });
      assert.deepEqual([first.status, first.body], [200, {
        message: "Verification email sent to first@example.com",
      }]);
      const second = await change({ new_email: "New@Example.com", password: "secure123" });
      assert.deepEqual(second.body, { message: "Verification email sent to new@example.com" });
      const [firstMail] = await server.mailTo("first@example.com");
      assert.equal(firstMail.subject, "Vestibule: confirm your new email address");
      const stale = await confirm(linkToken(firstMail));
      assert.deepEqual([stale.status, stale.body.detail], [400, "Invalid verification token"]);
      const me = await server.api("GET", "/users/me", { token: owner.access_token });
      assert.equal(me.body.email, "old@example.com", "nothing changes before confirmation");
    });

    await t.step(
      "a verification token cannot confirm an email change (purpose-bound)",
      async () => {
        const [verification] = await server.mailTo("old@example.com");
        const res = await confirm(linkToken(verification));
        assert.equal(res.status, 400);
      },
    );

    await t.step("the link changes the address, the old one is told", async () => {
      const [mail] = await server.mailTo("new@example.com");
      const res = await confirm(linkToken(mail));
      assert.deepEqual([res.status, res.body], [200, {
        message: "Email updated successfully",
        email: "new@example.com",
      }]);
      const me = await server.api("GET", "/users/me", { token: owner.access_token });
      assert.deepEqual([me.body.email, me.body.email_verified], ["new@example.com", true]);
      const notices = (await server.mailTo("old@example.com")).filter((m) =>
        /was changed/.test(m.subject)
      );
      assert.equal(notices.length, 1);
      assert.match(notices[0].text, /changed to new@example\.com/);
      assert.match(notices[0].text, /If this was not you/);
      assert.equal((await confirm(linkToken(mail))).status, 400, "single use");
      const login = await server.api("POST", "/auth/login", {
        body: { email: "new@example.com", password: "secure123" },
      });
      assert.equal(login.status, 200);
    });
  } finally {
    await server.close();
  }
});

Deno.test("email change re-checks the address at confirmation and expires after 24 h", async (t) => {
  const server = await startTestServer();
  try {
    const owner = await server.register("mover@example.com");
    const request = async (newEmail: string) => {
      await server.api("POST", "/users/me/email/change", {
        token: owner.access_token,
        body: { new_email: newEmail, password: "secure123" },
      });
      const mails = await server.mailTo(newEmail);
      return linkToken(mails[mails.length - 1]);
    };

    await t.step("an address taken meanwhile is refused and nothing changes", async () => {
      const token = await request("race@example.com");
      await server.register("race@example.com");
      const res = await server.api("POST", "/users/me/email/verify", { body: { token } });
      assert.deepEqual([res.status, res.body.detail], [400, "Email already registered"]);
      const notices = await server.deps.db.selectFrom("outbox").select("kind")
        .where("kind", "=", "email_changed").execute();
      assert.equal(notices.length, 0, "the rolled-back change enqueued nothing");
    });

    await t.step("a link used after 24 hours is refused", async () => {
      const token = await request("late@example.com");
      server.clock.advance(24 * 3600_000 + 1000);
      const res = await server.api("POST", "/users/me/email/verify", { body: { token } });
      assert.deepEqual([res.status, res.body.detail], [400, "Invalid verification token"]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("password reset", async (t) => {
  const server = await startTestServer();
  try {
    const member = await server.register("forgetful@example.com");
    const forgot = (email: string) =>
      server.api("POST", "/auth/password/forgot", { body: { email } });

    await t.step("forgot answers 202 the same way for known and unknown addresses", async () => {
      const known = await forgot("forgetful@example.com");
      const unknown = await forgot("ghost@example.com");
      assert.equal(known.status, 202);
      assert.deepEqual(known.body, unknown.body);
      assert.deepEqual([unknown.status, unknown.body], [202, {
        message: "If an account exists for that address, a reset link is on its way",
      }]);
      assert.equal((await server.mailTo("ghost@example.com")).length, 0);
    });

    const resetMail = () =>
      server.mailTo("forgetful@example.com").then((all) =>
        all.filter((m) => /reset your password/.test(m.subject))
      );

    await t.step(
      "the reset mail links to the reset page, which consumes nothing on GET",
      async () => {
        const [mail] = await resetMail();
        assert.match(mail.text, /\/reset-password\?token=/);
        const page = await fetch(`${server.url}/reset-password?token=${linkToken(mail)}`);
        assert.match(await page.text(), /name="new_password"/);
      },
    );

    await t.step("a weak password or a wrong token is refused", async () => {
      const [mail] = await resetMail();
      const weak = await server.api("POST", "/auth/password/reset", {
        body: { token: linkToken(mail), new_password: "password" },
      });
      assert.deepEqual([weak.status, weak.body.detail], [
        400,
        "Password does not meet requirements",
      ]);
      const wrong = await server.api("POST", "/auth/password/reset", {
        body: { token: "x".repeat(43), new_password: "brand-new-pass" },
      });
      assert.deepEqual([wrong.status, wrong.body], [400, {
        detail: "Invalid reset token",
        code: "INVALID_RESET_TOKEN",
      }]);
    });

    await t.step("a verification token cannot reset a password", async () => {
      const verification = (await server.mailTo("forgetful@example.com"))[0];
      const res = await server.api("POST", "/auth/password/reset", {
        body: { token: linkToken(verification), new_password: "brand-new-pass" },
      });
      assert.deepEqual([res.status, res.body.detail], [400, "Invalid reset token"]);
    });

    await t.step(
      "the token resets the password once, revokes every session, and notifies",
      async () => {
        const [mail] = await resetMail();
        const res = await server.api("POST", "/auth/password/reset", {
          body: { token: linkToken(mail), new_password: "brand-new-pass" },
        });
        assert.deepEqual([res.status, res.body], [200, { message: "Password has been reset" }]);
        assert.equal(
          (await server.api("GET", "/users/me", { token: member.access_token })).status,
          401,
        );
        const login = await server.api("POST", "/auth/login", {
          body: { email: "forgetful@example.com", password: "brand-new-pass" },
        });
        assert.equal(login.status, 200);
        const again = await server.api("POST", "/auth/password/reset", {
          body: { token: linkToken(mail), new_password: "other-new-pass" },
        });
        assert.equal(again.status, 400);
        const notice = (await server.mailTo("forgetful@example.com")).find((m) =>
          /password was changed/.test(m.subject)
        );
        assert.match(notice!.text, /was reset\. Every session was signed out/);
      },
    );

    await t.step("a reset link expires after 1 hour", async () => {
      await forgot("forgetful@example.com");
      const mails = await resetMail();
      server.clock.advance(3600_000 + 1000);
      const res = await server.api("POST", "/auth/password/reset", {
        body: { token: linkToken(mails[mails.length - 1]), new_password: "late-new-pass" },
      });
      assert.equal(res.status, 400);
    });

    await t.step("the reset page's form works without JavaScript", async () => {
      server.clock.advance(3600_000);
      await forgot("forgetful@example.com");
      const mails = await resetMail();
      const res = await fetch(`${server.url}/reset-password`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          token: linkToken(mails[mails.length - 1]),
          new_password: "form-new-pass",
        }),
      });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /Your password has been changed/);
      const bad = await fetch(`${server.url}/reset-password`, {
        method: "POST",
        body: "token=nope&new_password=form-new-pass2",
      });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /Invalid reset token/);
    });

    await t.step("forgot is rate limited per address", async () => {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await forgot("limited@example.com")).status);
      assert.deepEqual(statuses, [202, 202, 202, 429]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("changing the password sends a notice", async () => {
  const server = await startTestServer();
  try {
    const member = await server.register("notice@example.com");
    await server.api("POST", "/users/me/password", {
      token: member.access_token,
      body: { current_password: "secure123", new_password: "changed-pass-1" },
    });
    const notice = (await server.mailTo("notice@example.com")).find((m) =>
      /password was changed/.test(m.subject)
    );
    assert.match(notice!.text, /was changed\. Every other session was signed out/);
    assert.match(notice!.text, /If this was not you/);
  } finally {
    await server.close();
  }
});

Deno.test("EMAIL_LINK_BASE_URL points links at the product's own front end", async () => {
  const server = await startTestServer({
    EMAIL_LINK_BASE_URL: "https://app.example.org/account",
    PRODUCT_NAME: "Acme",
  });
  try {
    await server.register("fe@example.com");
    const [mail] = await server.mailTo("fe@example.com");
    assert.equal(mail.subject, "Acme: confirm your email address");
    assert.match(mail.text, /https:\/\/app\.example\.org\/account\/verify-email\?token=/);
  } finally {
    await server.close();
  }
});
