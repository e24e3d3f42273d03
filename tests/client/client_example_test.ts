import assert from "node:assert/strict";
import { startTestServer } from "../helpers/test_server.ts";

const example = new URL("../client_example/", import.meta.url);
const client = new URL("../../src/client/", import.meta.url);

async function run(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", npm_config_update_notifier: "false" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  return { code, stdout: out, output: out + new TextDecoder().decode(stderr) };
}

/**
 * The example app as another team would hold it: its own package.json, lock file and tsconfig,
 * and a copy of `src/client/` in `vestibule/`, installed from npm (`npm ci`) in a directory
 * outside this repository, so nothing resolves through Vestibule's own node_modules.
 */
async function assembleExample(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "vestibule-client-example-" });
  for (const name of ["main.ts", "package.json", "package-lock.json", "tsconfig.json"]) {
    await Deno.copyFile(new URL(name, example), `${dir}/${name}`);
  }
  await Deno.mkdir(`${dir}/vestibule`);
  for await (const entry of Deno.readDir(client)) {
    if (entry.isFile && entry.name.endsWith(".ts")) {
      await Deno.copyFile(new URL(entry.name, client), `${dir}/vestibule/${entry.name}`);
    }
  }
  return dir;
}

Deno.test({
  name:
    "the example app compiles with Node's tsc and with deno check, and calls a real server through both clients",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const dir = await assembleExample();
    try {
      await t.step("npm ci installs the app's own dependencies", async () => {
        const { code, output } = await run(
          "npm",
          ["ci", "--no-audit", "--no-fund", "--ignore-scripts"],
          dir,
        );
        assert.equal(code, 0, output);
      });

      await t.step("tsc --noEmit (Node, TypeScript from npm) finds no error", async () => {
        const { code, output } = await run(
          "node",
          ["node_modules/typescript/bin/tsc", "--noEmit"],
          dir,
        );
        assert.equal(code, 0, output);
      });

      await t.step("deno check finds no error", async () => {
        const { code, output } = await run(Deno.execPath(), ["check", "main.ts"], dir);
        assert.equal(code, 0, output);
      });

      await t.step("tsc catches a wrongly typed call", async () => {
        const main = await Deno.readTextFile(`${dir}/main.ts`);
        await Deno.writeTextFile(
          `${dir}/wrong.ts`,
          main.replace(
            'rest.PATCH("/users/me", { body: { phone: "+1" } })',
            'rest.PATCH("/users/me", { body: { phone: 1 } })',
          )
            .replace("trpc.users.sessions.query()", "trpc.users.sessions.mutate()"),
        );
        const { code, output } = await run(
          "node",
          ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "tsconfig.json"],
          dir,
        );
        assert.equal(code, 0, output); // wrong.ts is outside "include"
        const checked = await run(
          "node",
          [
            "node_modules/typescript/bin/tsc",
            "--noEmit",
            "--strict",
            "--target",
            "ES2022",
            "--module",
            "NodeNext",
            "--moduleResolution",
            "NodeNext",
            "--allowImportingTsExtensions",
            "--types",
            "node",
            "--lib",
            "ES2022,DOM",
            "wrong.ts",
          ],
          dir,
        );
        assert.notEqual(checked.code, 0);
        assert.match(checked.output, /wrong\.ts.*phone|number.*string/s);
        assert.match(checked.output, /mutate/);
      });

      await t.step("it signs up, signs in over tRPC and reads the profile over REST", async () => {
        const server = await startTestServer();
        try {
          const { code, stdout, output } = await run(
            Deno.execPath(),
            ["run", "--allow-net", "--allow-env", "--allow-read", "main.ts", server.url],
            dir,
          );
          assert.equal(code, 0, output);
          assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)!), {
            name: "Example App",
            email_matches: true,
            sessions: 2, // the sign-up's and the sign-in's
            wrong_password: "INVALID_CREDENTIALS",
            bad_phone: "VALIDATION_ERROR",
          });
        } finally {
          await server.close();
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
