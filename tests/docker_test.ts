import assert from "node:assert/strict";
import { sql } from "kysely";
import { startTestServer } from "./helpers/test_server.ts";
import { TextLineStream } from "./helpers/text_lines.ts";
import { denoEnv } from "./helpers/subprocess_server.ts";

const root = new URL("../", import.meta.url).pathname;

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(): string[] {
  const text = Deno.readTextFileSync(`${root}Dockerfile`);
  return text.replace(/\\\n\s*/g, " ").split("\n").map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

function only(prefix: string): string {
  const found = instructions().filter((line) => line.startsWith(`${prefix} `));
  assert.equal(found.length, 1, `one ${prefix}`);
  return found[0].slice(prefix.length + 1);
}

const devOnly = () => /^DEV_ONLY="([^"]*)"$/.exec(only("ARG"))![1].split(" ");

Deno.test("the Dockerfile's healthcheck probes /readyz on $PORT without starting a Deno process", async () => {
  const command = JSON.parse(only("HEALTHCHECK").replace(/^.*?CMD /, "")) as string[];
  assert.ok(!command.join(" ").includes("deno"), "no deno per check");
  const check = async (port: number) =>
    (await new Deno.Command(command[0], {
      args: command.slice(1),
      env: { PORT: String(port) },
      stdout: "null",
      stderr: "null",
    }).output()).code;
  const server = await startTestServer();
  try {
    assert.equal(await check(server.port), 0, "ready");
    await sql`delete from kysely_migration where name = '2026_11_23_0003_credits'`
      .execute(server.deps.db);
    assert.notEqual(await check(server.port), 0, "migrations pending: unhealthy");
  } finally {
    await server.close();
  }
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (free.addr as Deno.NetAddr).port;
  free.close();
  assert.notEqual(await check(port), 0, "nothing listening: unhealthy");
});

Deno.test("the image leaves the development-only packages out, and the list of them is true", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
  const imports = Object.keys(config.imports).map((key) => key.replace(/\/$/, ""));
  const used = new Set<string>();
  for await (const file of walk(`${root}src`)) {
    const text = await Deno.readTextFile(file);
    for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*"([^".][^"]*)"/g)) {
      const name = imports.find((i) => specifier === i || specifier.startsWith(`${i}/`));
      if (name !== undefined) used.add(name);
    }
  }
  // Not imported by name, but required at run time as a peer of trpc-to-openapi.
  // oauth4webapi and pg-pool are also dependencies of openid-client and pg, so they are installed
  // whatever the list says.
  for (const peer of ["zod-openapi", "oauth4webapi", "pg-pool"]) used.add(peer);
  const unused = imports.filter((name) => !used.has(name)).sort();
  assert.deepEqual([...devOnly()].sort(), unused, "DEV_ONLY lists exactly what src/ never imports");

  // Run the image's install step by hand on a copy of what the Dockerfile copies.
  const build = await Deno.makeTempDir({ prefix: "vestibule-image-" });
  try {
    for (const path of ["deno.json", "deno.lock", "db", "src"]) {
      await new Deno.Command("cp", { args: ["-r", `${root}${path}`, build] }).output();
    }
    const steps = only("RUN").split(" && ").filter((step) => step.startsWith("deno "));
    assert.equal(steps.length, 2, "prune, then install");
    for (const step of steps) {
      const { code, stderr } = await new Deno.Command("sh", {
        args: ["-c", step],
        cwd: build,
        env: { DEV_ONLY: devOnly().join(" ") },
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
    }
    const installed = [...Deno.readDirSync(`${build}/node_modules/.deno`)].map((e) => e.name);
    for (const name of devOnly()) {
      const dir = name.replace("/", "+");
      assert.ok(!installed.some((i) => i.startsWith(`${dir}@`)), `${name} is not installed`);
    }
    assert.ok(installed.some((i) => i.startsWith("kysely@")), "the server's packages are");

    // The pruned build starts, serves and stops.
    const dataDir = `${build}/data`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-all", "src/main.ts"],
      cwd: build,
      clearEnv: true,
      env: { ...denoEnv(), DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", LOG_REQUESTS: "false" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
      new TextLineStream(),
    );
    const reader = lines.getReader();
    const listening = JSON.parse((await reader.read()).value ?? "{}");
    assert.equal(listening.msg, "listening");
    const ready = await fetch(`${listening.url}/readyz`);
    assert.equal(ready.status, 200);
    await ready.body?.cancel();
    child.kill("SIGTERM");
    reader.releaseLock();
    await lines.cancel();
    await child.stderr.cancel();
    assert.equal((await child.status).code, 0);
  } finally {
    await Deno.remove(build, { recursive: true });
  }
});

Deno.test("the build context holds only what the image copies; the service user cannot change the app", () => {
  const ignore = Deno.readTextFileSync(`${root}.dockerignore`).split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  assert.equal(ignore[0], "*", "everything is ignored first (data/, .env, .git, node_modules…)");
  const reincluded = ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1)).sort();
  const copies = instructions().filter((l) => l.startsWith("COPY "));
  const sources = copies.flatMap((l) => l.split(/\s+/).slice(1, -1)).sort();
  assert.deepEqual(reincluded, sources);
  for (const secret of ["**/*.sqlite*", "**/.env", "**/jwt_secret"]) {
    assert.ok(ignore.includes(secret), secret);
  }

  assert.ok(copies.every((l) => !l.includes("--chown")), "copied files stay root's");
  const lines = instructions();
  const user = lines.findIndex((l) => l === "USER deno");
  assert.ok(user > lines.findLastIndex((l) => l.startsWith("COPY ") || l.startsWith("RUN ")));
  assert.deepEqual(JSON.parse(only("CMD")), ["deno", "run", "--allow-all", "src/main.ts"]);
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}
