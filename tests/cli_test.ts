import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runCli } from "../src/cli.ts";
import { onPostgres } from "./helpers/test_database.ts";
import { startTestServer } from "./helpers/test_server.ts";

Deno.test("cli promote-admin and backup work beside a running server", async () => {
  const server = await startTestServer();
  try {
    await server.register("boss@example.com");
    const env = server.cliEnv;
    assert.equal(await runCli(["promote-admin", "Boss@Example.com"], env), 0);
    const row = await server.deps.db.selectFrom("users").select("role").executeTakeFirstOrThrow();
    assert.equal(row.role, "admin");
    assert.equal(await runCli(["promote-admin", "nobody@example.com"], env), 1);

    const file = `${server.dataDir}/backup.sqlite`;
    if (onPostgres) {
      // PostgreSQL has its own tool: backup says so and writes nothing.
      assert.equal(await runCli(["backup", file], env), 1);
      await assert.rejects(Deno.lstat(file), Deno.errors.NotFound);
    } else {
      assert.equal(await runCli(["backup", file], env), 0);
      const copy = new DatabaseSync(file);
      assert.deepEqual(copy.prepare("SELECT email FROM users").all().map((r) => r.email), [
        "boss@example.com",
      ]);
      copy.close();
      assert.equal(await runCli(["backup", file], env), 1, "never overwrites");
    }
    assert.equal(await runCli(["frobnicate", "x"], env), 2);

    // run-job runs in its own deps, beside the server: its delivery run sends a queued message.
    await server.mailbox(); // let the server's own delivery of the sign-up mail settle first
    await server.deps.db.insertInto("outbox").values({
      user_id: null,
      kind: "test",
      recipient: "ops@example.com",
      subject: "queued",
      text_body: "hello",
      html_body: "<p>hello</p>",
      next_attempt_at: "2000-01-01T00:00:00.000Z",
      created_at: "2000-01-01T00:00:00.000Z",
    }).execute();
    assert.equal(await runCli(["run-job", "deliver-mail"], env), 0);
    const mail = await server.deps.db.selectFrom("outbox").select("status")
      .where("recipient", "=", "ops@example.com").executeTakeFirstOrThrow();
    assert.equal(mail.status, "sent");
    assert.equal(await runCli(["run-job", "prune-tokens"], env), 0);
    assert.equal(await runCli(["run-job", "no-such-job"], env), 2);
  } finally {
    await server.close();
  }
});
