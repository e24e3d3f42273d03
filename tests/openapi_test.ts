import assert from "node:assert/strict";
import { renderOpenApi } from "../src/openapi_write.ts";

const committed = new URL("../openapi.json", import.meta.url);

Deno.test("openapi.json is what the routers generate (run `deno task openapi` when this fails)", async () => {
  assert.equal(await Deno.readTextFile(committed), renderOpenApi());
});

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: new URL("..", import.meta.url),
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

Deno.test("openapi.json lints clean with Spectral (spectral:oas, warnings fail)", async () => {
  const { code, output } = await run([
    "run",
    "-A",
    "--no-lock",
    "npm:@stoplight/spectral-cli@6.16.3",
    "lint",
    "--fail-severity=hint",
    "--ruleset",
    "tests/openapi/spectral.yaml",
    "openapi.json",
  ]);
  assert.equal(code, 0, output);
});

Deno.test("openapi.json lints clean with Redocly (recommended, no warnings)", async () => {
  const { code, output } = await run(
    [
      "run",
      "-A",
      "--no-lock",
      "npm:@redocly/cli@2.77.0",
      "lint",
      "--config",
      "tests/openapi/redocly.yaml",
      "--max-problems",
      "50",
      "openapi.json",
    ],
    { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  );
  assert.equal(code, 0, output);
  assert.doesNotMatch(output, /warning/i, output);
});
