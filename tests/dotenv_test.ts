import assert from "node:assert/strict";
import { loadConfig } from "../src/config.ts";
import { environment, parseDotEnv } from "../src/dotenv.ts";

Deno.test("parseDotEnv() reads KEY=VALUE lines with quotes, comments and export", () => {
  const text = [
    "# a comment",
    "",
    "PORT=8080",
    "export HOST = 127.0.0.1   # trailing comment",
    'MAIL_FROM="Team <team@example.com>" # the sender',
    'QUOTED="a # not a comment \\"x\\"\\nnext"',
    "SINGLE='kept \\n literally # too'",
    "EMPTY=",
    "HASH_IN_VALUE=abc#def",
    "not an assignment",
    "CRLF=yes\r",
  ].join("\n");
  assert.deepEqual(parseDotEnv(text), {
    PORT: "8080",
    HOST: "127.0.0.1",
    MAIL_FROM: "Team <team@example.com>",
    QUOTED: 'a # not a comment "x"\nnext',
    SINGLE: "kept \\n literally # too",
    EMPTY: "",
    HASH_IN_VALUE: "abc#def",
    CRLF: "yes",
  });
});

Deno.test("environment() layers the real environment over .env, and works without a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/.env`, "PORT=9000\nDATA_DIR=/from/file\n");
    assert.deepEqual(environment(`${dir}/.env`, { PORT: "8001" }), {
      PORT: "8001",
      DATA_DIR: "/from/file",
    });
    assert.deepEqual(environment(`${dir}/absent.env`, { PORT: "8001" }), { PORT: "8001" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(".env.example, copied to .env, is a valid configuration", () => {
  const text = Deno.readTextFileSync(new URL("../.env.example", import.meta.url));
  const config = loadConfig(parseDotEnv(text));
  assert.equal(config.port, 8000);
  assert.equal(config.mailFrom, "Vestibule <no-reply@localhost>");
  assert.equal(config.logLevel, "info");
});
