import assert from "node:assert/strict";
import { backoffSeconds } from "../../src/mail/outbox.ts";
import { startSmtp } from "../helpers/smtp.ts";
import { startTestServer } from "../helpers/test_server.ts";

const ID = /^<[0-9a-f]{32}@accounts\.acme\.test>$/;

Deno.test("Message-ID: random per message, at PUBLIC_URL's host, stable across retries", async (t) => {
  const smtp = await startSmtp();
  const port = smtp.port;
  await smtp.stop(); // down at first, so every message is retried
  const server = await startTestServer({
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    PUBLIC_URL: "https://accounts.acme.test:8443/",
  });
  try {
    await server.register("one@example.com");
    await server.register("two@example.com");
    await server.mailbox();
    const stored = await server.deps.db.selectFrom("outbox").select(["recipient", "message_id"])
      .orderBy("id").execute();

    await t.step("each message got its own id when written", () => {
      assert.equal(stored.length, 2);
      for (const row of stored) assert.match(row.message_id!, ID);
      assert.notEqual(stored[0].message_id, stored[1].message_id);
    });

    const back = await startSmtp(port);
    try {
      await t.step(
        "the retry after an outage carries the id the message was written with",
        async () => {
          server.clock.advance(backoffSeconds(1) * 1000);
          assert.deepEqual(await server.deps.outbox.deliverDue(), { sent: 2, failed: 0 });
          for (const row of stored) {
            const received = back.received.find((mail) => mail.to === row.recipient)!;
            assert.equal(received.messageId, row.message_id);
          }
        },
      );

      await t.step("a copy sent again (a crash before the mark) keeps the same id", async () => {
        const row = await server.deps.db.selectFrom("outbox").selectAll()
          .where("recipient", "=", "one@example.com").executeTakeFirstOrThrow();
        // What a crash between the server's acceptance and the mark leaves: a pending row.
        await server.deps.db.updateTable("outbox")
          .set({ status: "pending", next_attempt_at: server.clock.now().toISOString() })
          .where("id", "=", row.id).execute();
        assert.deepEqual(await server.deps.outbox.deliverDue(), { sent: 1, failed: 0 });
        const copies = back.received.filter((mail) => mail.to === "one@example.com");
        assert.equal(copies.length, 2);
        assert.deepEqual(copies.map((mail) => mail.messageId), [row.message_id, row.message_id]);
      });
    } finally {
      await back.stop();
    }
  } finally {
    await server.close();
  }
});

Deno.test("a row written before the column existed gets an id once, when first claimed", async () => {
  const server = await startTestServer({ PUBLIC_URL: "https://accounts.acme.test" });
  try {
    await server.deps.db.insertInto("outbox").values({
      user_id: null,
      kind: "legacy",
      recipient: "old@example.com",
      subject: "Old",
      text_body: "text",
      html_body: "<p>html</p>",
      secret_sealed: null,
      next_attempt_at: server.clock.now().toISOString(),
      created_at: server.clock.now().toISOString(),
      message_id: null,
    }).execute();
    const [mail] = await (async () => {
      await server.deps.outbox.deliverDue();
      return await server.mailTo("old@example.com");
    })();
    const row = await server.deps.db.selectFrom("outbox").select("message_id")
      .where("recipient", "=", "old@example.com").executeTakeFirstOrThrow();
    assert.match(row.message_id!, ID);
    assert.equal(mail.messageId, row.message_id);
  } finally {
    await server.close();
  }
});
