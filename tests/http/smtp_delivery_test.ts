import assert from "node:assert/strict";
import { backoffSeconds, MAX_ATTEMPTS } from "../../src/mail/outbox.ts";
import { linkToken } from "../helpers/mail.ts";
import { startSmtp } from "../helpers/smtp.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("mail is delivered through a real SMTP server and its link works", async () => {
  const smtp = await startSmtp();
  const server = await startTestServer({
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: "Acme Accounts <accounts@acme.test>",
  });
  try {
    await server.register("smtp@example.com");
    await server.mailbox(); // waits for the nudge's delivery run
    assert.equal(smtp.received.length, 1);
    const [mail] = smtp.received;
    assert.deepEqual(mail.envelopeTo, ["smtp@example.com"]);
    assert.equal(mail.to, "smtp@example.com");
    assert.equal(mail.subject, "Vestibule: confirm your email address");
    const res = await server.api("POST", "/auth/verify-email", {
      body: { token: linkToken(mail) },
    });
    assert.equal(res.status, 200);
  } finally {
    await server.close();
    await smtp.stop();
  }
});

Deno.test("an SMTP outage loses nothing: messages wait with their error, then go out once", async (t) => {
  const smtp = await startSmtp();
  const port = smtp.port;
  await smtp.stop(); // the mail server is down from the start
  const server = await startTestServer({ SMTP_URL: `smtp://127.0.0.1:${port}` });
  try {
    await t.step("requests still succeed while the server is down", async () => {
      for (const name of ["a", "b", "c"]) await server.register(`${name}@outage.example`);
      await server.mailbox();
      const rows = await server.deps.db.selectFrom("outbox").selectAll().execute();
      assert.equal(rows.length, 3);
      for (const row of rows) {
        assert.equal(row.status, "pending");
        assert.equal(row.attempts, 1);
        assert.match(row.last_error!, /ECONNREFUSED|connect/i);
        assert.ok(row.secret_sealed, "the token waits, sealed");
      }
    });

    await t.step("a run before the backoff has passed sends nothing", async () => {
      assert.deepEqual(await server.deps.outbox.deliverDue(), { sent: 0, failed: 0 });
    });

    const back = await startSmtp(port);
    try {
      await t.step("when it comes back, every message is delivered exactly once", async () => {
        server.clock.advance(backoffSeconds(1) * 1000);
        assert.deepEqual(await server.deps.outbox.deliverDue(), { sent: 3, failed: 0 });
        assert.deepEqual(await server.deps.outbox.deliverDue(), { sent: 0, failed: 0 });
        assert.deepEqual(back.received.map((m) => m.to).sort(), [
          "a@outage.example",
          "b@outage.example",
          "c@outage.example",
        ]);
        const ids = new Set(back.received.map((m) => m.messageId));
        assert.equal(ids.size, 3);
        const token = linkToken(back.received.find((m) => m.to === "b@outage.example")!);
        assert.equal(
          (await server.api("POST", "/auth/verify-email", { body: { token } })).status,
          200,
        );
      });
    } finally {
      await back.stop();
    }

    await t.step("a message that keeps failing is kept as failed with its last error", async () => {
      await server.register("doomed@outage.example");
      await server.mailbox();
      for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
        server.clock.advance(backoffSeconds(attempt) * 1000);
        await server.deps.outbox.deliverDue();
      }
      const row = await server.deps.db.selectFrom("outbox").selectAll()
        .where("recipient", "=", "doomed@outage.example").executeTakeFirstOrThrow();
      assert.equal(row.status, "failed");
      assert.equal(row.attempts, MAX_ATTEMPTS);
      assert.ok(row.last_error);
    });
  } finally {
    await server.close();
  }
});

Deno.test("backoffSeconds() doubles from 30 s and caps at an hour", () => {
  assert.deepEqual([1, 2, 3, 4].map(backoffSeconds), [30, 60, 120, 240]);
  assert.equal(backoffSeconds(20), 3600);
});
