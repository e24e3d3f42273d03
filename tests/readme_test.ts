import assert from "node:assert/strict";
import { startTestServer } from "./helpers/test_server.ts";

/** The shell commands of the README's walk-through, continuation lines joined. */
async function walkthrough(): Promise<string[]> {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const block = readme.split("<!-- walkthrough:start -->")[1].split("<!-- walkthrough:end -->")[0];
  const shell = block.split("```sh")[1].split("```")[0];
  return shell.replace(/\\\n\s*/g, "").split("\n").map((line) => line.trim()).filter((line) =>
    line !== ""
  );
}

Deno.test("the README's curl walk-through works as written", async () => {
  const server = await startTestServer();
  try {
    const commands = await walkthrough();
    assert.equal(commands.length, 4);
    const env: Record<string, string> = {};
    const answers = [];
    for (const command of commands) {
      const { code, stdout, stderr } = await new Deno.Command("bash", {
        args: ["-c", command.replaceAll("http://localhost:8000", server.url)],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const answer = JSON.parse(new TextDecoder().decode(stdout));
      assert.equal(answer.detail, undefined, `${command} → ${JSON.stringify(answer)}`);
      if (answer.access_token) env.ACCESS_TOKEN = answer.access_token;
      if (answer.refresh_token) env.REFRESH_TOKEN = answer.refresh_token;
      answers.push(answer);
    }
    assert.equal(answers[0].user.name, "John");
    assert.equal(answers[1].user.email, "user@example.com");
    assert.equal(answers[2].name, "John");
    assert.equal(answers[3].token_type, "Bearer");
  } finally {
    await server.close();
  }
});
