import assert from "node:assert/strict";

const read = (path: string) => Deno.readTextFileSync(new URL(`../${path}`, import.meta.url));

Deno.test("the README's opening describes what the service does today, not what issues will bring", () => {
  const opening = read("README.md").split("\n## ")[0];
  assert.doesNotMatch(opening, /open issues|as .* land/i);
  for (const feature of ["email verification", "password change and reset", "profile pictures"]) {
    assert.ok(opening.includes(feature), feature);
  }
});

Deno.test("every configuration variable is documented in the README and .env.example", () => {
  const schema = read("src/config.ts").split("const envSchema = z.object({")[1].split("\n});")[0];
  const variables = [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
  assert.ok(variables.includes("LOG_LEVEL") && variables.includes("METRICS_TOKEN"));
  const readme = read("README.md");
  const example = read(".env.example");
  for (const variable of variables) {
    assert.ok(readme.includes(`\`${variable}\``), `README documents ${variable}`);
    assert.match(example, new RegExp(`^#? ?${variable}=`, "m"), `.env.example lists ${variable}`);
  }
});

Deno.test("the README documents the operator surface: /readyz, /metrics, logs, .env and the CLI", () => {
  const readme = read("README.md");
  for (
    const needle of [
      "GET /readyz",
      "GET /metrics",
      "METRICS_TOKEN",
      "LOG_LEVEL",
      "X-Request-Id",
      "`.env` file",
      "migrate status",
      "migrate up",
      "--help",
      "SIGTERM",
      ".dockerignore",
    ]
  ) {
    assert.ok(readme.includes(needle), needle);
  }
});
