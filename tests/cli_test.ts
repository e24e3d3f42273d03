import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runCli } from "../src/cli.ts";
import { startTestServer } from "./helpers/test_server.ts";

Deno.test("cli promote-admin and backup work beside a running server", async () => {
  const server = await startTestServer();
  try {
    await server.register("boss@example.com");
    const env = { DATA_DIR: server.dataDir };
    assert.equal(await runCli(["promote-admin", "Boss@Example.com"], env), 0);
    const row = await server.deps.db.selectFrom("users").select("role").executeTakeFirstOrThrow();
    assert.equal(row.role, "admin");
    assert.equal(await runCli(["promote-admin", "nobody@example.com"], env), 1);

    const file = `${server.dataDir}/backup.sqlite`;
    assert.equal(await runCli(["backup", file], env), 0);
    const copy = new DatabaseSync(file);
    assert.deepEqual(copy.prepare("SELECT email FROM users").all().map((r) => r.email), [
      "boss@example.com",
    ]);
    copy.close();
    assert.equal(await runCli(["backup", file], env), 1, "never overwrites");
    assert.equal(await runCli(["frobnicate", "x"], env), 2);
  } finally {
    await server.close();
  }
});
