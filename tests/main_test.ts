import assert from "node:assert/strict";
import { encodeAs, twoToneImage } from "./helpers/images.ts";
import { spawnServer } from "./helpers/subprocess_server.ts";

const BASE = { PORT: "0", HOST: "127.0.0.1", LOG_REQUESTS: "false" };

Deno.test("start-up with an unusable DATA_DIR exits 1 with one line naming it, and creates nothing", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/a-file`;
    await Deno.writeTextFile(file, "");
    for (
      const [dataDir, cause] of [
        [file, "it exists and is not a directory"],
        [`${file}/data`, "a part of its path is a file, not a directory"],
      ]
    ) {
      await t.step(cause, async () => {
        const server = spawnServer({ ...BASE, DATA_DIR: dataDir });
        const status = await server.exited;
        assert.equal(status.code, 1);
        assert.deepEqual(server.stderr, [
          `Vestibule cannot start: DATA_DIR ${dataDir} is not usable: ${cause}`,
        ]);
        assert.deepEqual(server.stdout, []);
      });
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a-file"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("start-up on a port already in use exits 1 with one line, before migrating or generating anything", async () => {
  const dataDir = await Deno.makeTempDir();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const server = spawnServer({ ...BASE, PORT: String(port), DATA_DIR: dataDir });
    const status = await server.exited;
    assert.equal(status.code, 1);
    assert.deepEqual(server.stderr, [
      `Vestibule cannot start: Cannot listen: port ${port} on 127.0.0.1 is already in use (PORT, HOST)`,
    ]);
    assert.deepEqual([...Deno.readDirSync(dataDir)], [], "no database, no jwt_secret");
  } finally {
    taken.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("start-up on PostgreSQL without JWT_SECRET exits 1 with one line, before connecting", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    // Nothing listens on port 1: the refusal must come before any connection is tried.
    const server = spawnServer({
      ...BASE,
      DATA_DIR: dataDir,
      DATABASE_URL: "postgres://vestibule@127.0.0.1:1/vestibule",
    });
    assert.equal((await server.exited).code, 1);
    assert.deepEqual(server.stderr, [
      "Vestibule cannot start: JWT_SECRET must be set with DATABASE_URL: every instance on the database signs and checks access tokens with it",
    ]);
    assert.deepEqual([...Deno.readDirSync(dataDir)], [], "no jwt_secret generated");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("on PostgreSQL without JWT_SECRET, a jwt_secret already in DATA_DIR (a deployment moved from SQLite) is used, not refused", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    await Deno.writeFile(`${dataDir}/jwt_secret`, secret);
    // Nothing listens on port 1: past the secret check, start-up stops at the connection instead.
    const server = spawnServer({
      ...BASE,
      DATA_DIR: dataDir,
      DATABASE_URL: "postgres://vestibule@127.0.0.1:1/vestibule",
    });
    assert.equal((await server.exited).code, 1);
    assert.equal(server.stderr.length, 1);
    assert.doesNotMatch(server.stderr[0], /JWT_SECRET/);
    assert.deepEqual(await Deno.readFile(`${dataDir}/jwt_secret`), secret, "kept as it was");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("an invalid variable in .env stops start-up naming it; the real environment wins over .env", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${cwd}/.env`,
      "# settings\nPORT=not-a-port\nDATA_DIR=./from-dotenv\n",
    );
    const bad = spawnServer({ HOST: "127.0.0.1" }, cwd);
    assert.equal((await bad.exited).code, 1);
    assert.equal(bad.stderr.length, 1);
    assert.match(bad.stderr[0], /^Vestibule cannot start: Invalid configuration: PORT: /);

    const good = spawnServer({ HOST: "127.0.0.1", PORT: "0", LOG_REQUESTS: "false" }, cwd);
    const listening = await good.line((e) => e.msg === "listening");
    assert.equal(listening.data_dir, "./from-dotenv", "DATA_DIR came from .env");
    assert.match(String(listening.time), /^\d{4}-\d\d-\d\dT/);
    good.child.kill("SIGTERM");
    assert.equal((await good.exited).code, 0);
    assert.ok(Deno.statSync(`${cwd}/from-dotenv/vestibule.sqlite`).isFile);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("SIGTERM lets an upload still sending its body finish with 200, then exits 0", async () => {
  const dataDir = await Deno.makeTempDir();
  const server = spawnServer({ ...BASE, DATA_DIR: dataDir });
  try {
    const { url } = await server.line((e) => e.msg === "listening") as { url: string };
    const registered = await fetch(`${url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "slow@example.com", password: "secure123", name: "Slow" }),
    });
    const { access_token: token } = await registered.json();

    const png = await encodeAs(twoToneImage(64, 64), "png");
    const boundary = "vestibule-boundary";
    const head = new TextEncoder().encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n` +
        `Content-Type: image/png\r\n\r\n`,
    );
    const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
    let send!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (send = c) });
    send.enqueue(head);
    send.enqueue(png.subarray(0, 20));
    const upload = fetch(`${url}/api/v1/users/me/profile-picture`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": String(head.length + png.length + tail.length),
      },
      body,
      // @ts-ignore: Deno's fetch takes duplex for streamed bodies
      duplex: "half",
    });

    // The synchronisation point: the server counts the upload in flight (beside this scrape).
    for (;;) {
      const text = await (await fetch(`${url}/metrics`)).text();
      if (/^vestibule_http_requests_in_flight 2$/m.test(text)) break;
    }
    server.child.kill("SIGTERM");
    await server.line((e) => e.msg === "shutting down");
    const refused = await fetch(`${url}/healthz`);
    assert.equal(refused.status, 503, "no new request is taken");
    assert.deepEqual(await refused.json(), { detail: "Shutting down", code: "NOT_READY" });

    send.enqueue(png.subarray(20));
    send.enqueue(tail);
    send.close();
    const response = await upload;
    const answer = await response.json();
    assert.equal(response.status, 200, JSON.stringify(answer) + server.stderr.join("\n"));
    assert.match(answer.profile_picture_url ?? JSON.stringify(answer), /\/uploads\//);

    const status = await server.exited;
    assert.equal(status.code, 0, server.stderr.join("\n"));
    assert.ok(server.stdout.some((l) => JSON.parse(l).msg === "stopped"));
    assert.deepEqual(server.stderr, []);
  } finally {
    try {
      server.child.kill("SIGKILL");
    } catch { /* exited already */ }
    await server.exited;
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a shutdown that cannot finish within SHUTDOWN_TIMEOUT exits 1 anyway, saying so", async () => {
  const dataDir = await Deno.makeTempDir();
  const server = spawnServer({ ...BASE, DATA_DIR: dataDir, SHUTDOWN_TIMEOUT: "1" });
  try {
    const { url } = await server.line((e) => e.msg === "listening") as { url: string };
    const body = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(new TextEncoder().encode("{")), // never finished
    });
    const stuck = fetch(`${url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "100" },
      body,
      // @ts-ignore: Deno's fetch takes duplex for streamed bodies
      duplex: "half",
    }).catch((error) => error);
    for (;;) {
      const text = await (await fetch(`${url}/metrics`)).text();
      if (/^vestibule_http_requests_in_flight 2$/m.test(text)) break;
    }
    server.child.kill("SIGTERM");
    const status = await server.exited;
    assert.equal(status.code, 1);
    const timedOut = server.stderr.map((l) => JSON.parse(l)).find((e) =>
      e.msg === "shutdown timed out; exiting with work unfinished"
    );
    assert.equal(timedOut?.timeout_seconds, 1);
    await stuck;
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
