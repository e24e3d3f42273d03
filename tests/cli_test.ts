import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runCli } from "../src/cli.ts";
import { migrationNames } from "../src/data/migrate.ts";
import { DENO_DIAGNOSTIC, denoEnv } from "./helpers/subprocess_server.ts";
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

/** Runs `deno run src/cli.ts <args>` in `cwd` with only `env`; returns its exit code and output. */
async function cli(args: string[], env: Record<string, string>, cwd?: string) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-all",
      new URL("../src/cli.ts", import.meta.url).pathname,
      ...args,
    ],
    cwd,
    clearEnv: true,
    env: { ...denoEnv(), ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) =>
    new TextDecoder().decode(bytes).split("\n").filter((l) => !DENO_DIAGNOSTIC.test(l)).join("\n");
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("cli --help exits 0 with the usage; an unknown command says it is unknown and exits 2", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    for (const flag of ["--help", "-h", "help"]) {
      const help = await cli([flag], { DATA_DIR: dataDir });
      assert.equal(help.code, 0, flag);
      assert.match(help.stdout, /^Usage: deno task cli <command>/);
      assert.match(help.stdout, /migrate status/);
      assert.equal(help.stderr, "");
    }
    const unknown = await cli(["frobnicate"], { DATA_DIR: dataDir });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^Unknown command: frobnicate\n/);
    const wrongArity = await cli(["promote-admin"], { DATA_DIR: dataDir });
    assert.equal(wrongArity.code, 2);
    assert.match(wrongArity.stderr, /^Usage: deno task cli promote-admin <email>/);
    const badConfig = await cli(["migrate", "status"], { DATA_DIR: dataDir, PORT: "x" });
    assert.equal(badConfig.code, 1);
    assert.match(badConfig.stderr, /^Invalid configuration: PORT: [^\n]*\n$/, "one line");
    assert.deepEqual([...Deno.readDirSync(dataDir)], [], "nothing created");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("cli migrate status lists each migration applied or pending without applying; migrate up applies them", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    // DATA_DIR from ./.env: the CLI reads it as the server does.
    await Deno.writeTextFile(`${cwd}/.env`, "DATA_DIR=./db-here\n");
    await Deno.mkdir(`${cwd}/db-here`);
    const fresh = await cli(["migrate", "status"], {}, cwd);
    assert.equal(fresh.code, 0, fresh.stderr);
    const count = migrationNames.length;
    assert.deepEqual(fresh.stdout.trim().split("\n"), [
      ...migrationNames.map((name) => `pending  ${name}`),
      `${count} pending; run: deno task cli migrate up`,
    ]);
    assert.equal(migrationNames[0], "2026_11_23_0001_accounts");
    const again = await cli(["migrate", "status"], {}, cwd);
    assert.match(again.stdout, new RegExp(`^${count} pending`, "m"), "status applied nothing");

    const up = await cli(["migrate", "up"], {}, cwd);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.stdout.trim(), `Applied: ${migrationNames.join(", ")}`);
    const after = (await cli(["migrate", "status"], {}, cwd)).stdout.trim().split("\n");
    assert.equal(after.length, count + 1);
    after.slice(0, count).forEach((line, i) => {
      assert.match(line, new RegExp(`^applied {2}${migrationNames[i]} {2}\\(`));
    });
    assert.equal(after[count], "Up to date");
    assert.equal((await cli(["migrate", "up"], {}, cwd)).stdout.trim(), "Up to date");
    assert.equal((await cli(["migrate", "sideways"], {}, cwd)).code, 2);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
