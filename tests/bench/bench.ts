/**
 * `deno task bench`: Vestibule's throughput and latency against a bare `Deno.serve` handler.
 *
 * Both servers run in their own processes (the bare one is `bare_server.ts`, Vestibule is
 * `src/main.ts` on a fresh temporary `DATA_DIR`), and `wrk` drives the load, so the driver never
 * shares an event loop with what it measures. Measured, in one run of about two minutes:
 *
 * 1. requests/s and p99 of the bare handler, of `GET /api/v1/users/me` (REST) and of
 *    `GET /trpc/users.me` (tRPC), both authenticated; the service ratios to the bare handler;
 * 2. Argon2id verifications/s in-process (8 concurrent) and `POST /api/v1/auth/login` logins/s
 *    after a 16-s warm-up, in alternating windows, with their ratio: how close sign-in gets to
 *    the cost of the hash alone;
 * 3. the p99 of `GET /api/v1/users/me` while logins run, against its idle p99, as a paced probe
 *    sees it (`latency_probe.ts`: one request every 2 ms, the target's measure; idle and loaded
 *    windows alternate three times and each p99 is over its pooled windows) and under wrk's
 *    closed loop, which saturates the event loop (reported for comparison).
 *
 * With `BENCH_DATABASE_URL=postgres://…` (a server on which the user may create databases)
 * Vestibule runs on a fresh PostgreSQL database of its own instead of SQLite, and a second
 * instance on the same database is started at the end for a report (no target on two cores):
 * REST `/users/me` and logins with both instances loaded at once, beside the one-instance rows.
 *
 * Needs `wrk` on the PATH. Progress goes to stderr, the results table to stdout. Exits 1 when a
 * measurement cannot be made (a server fails, most responses are errors); a missed target is
 * reported but does not fail the run.
 */
import { fileURLToPath } from "node:url";
import { Argon2id } from "oslo/password";
import { benchDatabase } from "./bench_database.ts";
import { pooled, type ProbeResult, startProbe } from "./probe.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BARE_SERVER = fileURLToPath(new URL("./bare_server.ts", import.meta.url));
const PASSWORD = "secure123";
const UNLIMITED = "1000000/60";
/** The access-token secret of every instance of one PostgreSQL run, fresh per run. */
const BENCH_SECRET = crypto.randomUUID() + crypto.randomUUID();

/** What the README promises. Ratios are service / baseline, except the last (loaded / idle). */
const TARGETS = { rest: 0.25, trpc: 0.09, login: 0.9, p99UnderLogins: 3 };

/** Durations in seconds; the whole run stays well under three minutes. */
const DURATION = {
  warmup: 2,
  /**
   * Sign-ins come about 100 times a second, so their code takes far longer than REST's to be
   * optimised: V8 finished 1,170, 218, 81 and 44 optimisations in four 8-s windows of sign-ins
   * (`--trace-opt`). Measured after 16 s, they run at the pace a long-running server keeps.
   */
  loginWarmup: 16,
  throughput: 10,
  /** One window of Argon2id alone, or of sign-ins, in the alternation that gives their ratio. */
  argon: 3,
  loginWindow: 4,
  /** The two-instance sign-in run. */
  login: 10,
  /** One window of the probe (or of wrk), idle or during logins. */
  window: 5,
  /** Idle and loaded probe windows alternate this many times. */
  rounds: 3,
};

/** A failure that makes the numbers meaningless: reported without a stack trace, exit 1. */
export class BenchError extends Error {
  override name = "BenchError";
}

// ---------------------------------------------------------------------------------------------
// Processes and clean-up
// ---------------------------------------------------------------------------------------------

export const cleanups: (() => Promise<void>)[] = [];
/** wrk runs in flight, stopped first on an early exit (an interrupt, a failed sibling run). */
const runningWrk = new Set<Deno.ChildProcess>();

export async function cleanup(): Promise<void> {
  for (const child of runningWrk) {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  }
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (error) {
      console.error("clean-up:", error);
    }
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchError(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Server {
  name: string;
  url: string;
  /** The last lines the process wrote, for error messages. */
  tail(): string;
  /** Whether the process is still running. */
  alive(): boolean;
}

/**
 * Starts a server process and resolves once one of its stdout lines names the port it listens
 * on. Its output keeps being drained (the last 40 lines are kept); it is stopped by `cleanup`.
 */
async function spawnServer(
  name: string,
  args: string[],
  env: Record<string, string>,
  portOf: (line: string) => number | undefined,
): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  cleanups.push(async () => {
    if (exited) return;
    child.kill("SIGTERM");
    const stopped = await Promise.race([status.then(() => true), delay(5_000).then(() => false)]);
    if (!stopped) {
      child.kill("SIGKILL");
      await status;
    }
  });

  const lines: string[] = [];
  let announce: (port: number) => void = () => {};
  const announced = new Promise<number>((resolve) => (announce = resolve));
  const drain = async (stream: ReadableStream<Uint8Array>, scan: boolean) => {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 40) lines.shift();
        const port = scan ? portOf(line) : undefined;
        if (port !== undefined) announce(port);
      }
    }
    if (pending !== "") lines.push(pending);
  };
  drain(child.stdout, true).catch(() => {});
  drain(child.stderr, false).catch(() => {});

  const tail = () => lines.join("\n");
  const port = await withTimeout(
    Promise.race([
      announced,
      status.then((s) => {
        throw new BenchError(`${name} exited with code ${s.code} before listening:\n${tail()}`);
      }),
    ]),
    60_000,
    `${name} did not start listening within 60 s`,
  );
  return { name, url: `http://127.0.0.1:${port}`, tail, alive: () => !exited };
}

function jsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function waitHealthy(server: Server, path: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!server.alive()) throw new BenchError(`${server.name} exited:\n${server.tail()}`);
    try {
      const response = await fetch(server.url + path);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not accepting yet
    }
    await delay(100);
  }
  throw new BenchError(`${server.name}: GET ${path} never answered 200 within 30 s`);
}

// ---------------------------------------------------------------------------------------------
// wrk
// ---------------------------------------------------------------------------------------------

interface WrkResult {
  requests: number;
  rps: number;
  p99Ms: number;
  /** Responses outside 2xx/3xx. */
  non2xx: number;
  /** connect + read + write + timeout errors. */
  socketErrors: number;
}

interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  seconds: number;
  headers?: string[];
  script?: string;
}

async function ensureWrk(): Promise<void> {
  try {
    // `wrk --version` prints its usage and exits 1; all that matters is that it runs.
    await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" })
      .output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      console.error("wrk is missing: install it with `apt-get install -y wrk` (Debian)");
      Deno.exit(1);
    }
    throw error;
  }
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses the parts of wrk's `--latency` report that the table needs. */
function parseWrk(output: string): WrkResult {
  const rps = output.match(/Requests\/sec:\s+([\d.]+)/);
  const p99 = output.match(/^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$/m);
  const total = output.match(/(\d+) requests in /);
  if (rps === null || p99 === null || total === null) {
    throw new BenchError(`could not parse wrk's output:\n${output}`);
  }
  const sockets = output.match(
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/,
  );
  return {
    requests: Number(total[1]),
    rps: Number(rps[1]),
    p99Ms: Number(p99[1]) * UNIT_MS[p99[2]],
    non2xx: Number(output.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0),
    socketErrors: sockets === null ? 0 : sockets.slice(1).reduce((sum, n) => sum + Number(n), 0),
  };
}

async function wrk(label: string, options: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--latency",
    "--timeout",
    "5s",
    ...(options.headers ?? []).flatMap((header) => ["-H", header]),
    ...(options.script === undefined ? [] : ["-s", options.script]),
    options.url,
  ];
  const child = new Deno.Command("wrk", { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  runningWrk.add(child);
  const output = await child.output().finally(() => runningWrk.delete(child));
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr);
    throw new BenchError(`wrk failed for ${label} (code ${output.code}):\n${stdout}${stderr}`);
  }
  const result = parseWrk(stdout);
  const failed = result.non2xx + result.socketErrors;
  if (result.requests === 0 || failed * 2 > result.requests) {
    throw new BenchError(
      `${label}: ${failed} of ${result.requests} requests failed ` +
        `(${result.non2xx} non-2xx/3xx, ${result.socketErrors} socket errors):\n${stdout}`,
    );
  }
  if (failed > 0) {
    console.error(
      `  warning: ${label}: ${result.non2xx} non-2xx/3xx, ${result.socketErrors} socket errors`,
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Vestibule
// ---------------------------------------------------------------------------------------------

/**
 * Starts Vestibule (`src/main.ts`) in its own process on a free port with a fresh `dataDir`
 * (and on PostgreSQL when `databaseUrl` is given), request logging off and rate limits out of the
 * way; resolves once it answers `/healthz`.
 */
export async function startVestibule(dataDir: string, databaseUrl?: string): Promise<Server> {
  const service = await spawnServer("Vestibule", ["run", "--quiet", "-A", "src/main.ts"], {
    // Instances on one database sign with one secret (README, "Running several instances").
    ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl, JWT_SECRET: BENCH_SECRET }),
    DATA_DIR: dataDir,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_REQUESTS: "false",
    RATE_LIMIT_LOGIN_PER_IP: UNLIMITED,
    RATE_LIMIT_LOGIN_PER_ACCOUNT: UNLIMITED,
    RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: UNLIMITED,
    RATE_LIMIT_REGISTER_PER_IP: UNLIMITED,
    RATE_LIMIT_REFRESH_PER_IP: UNLIMITED,
  }, (line) => {
    const fields = jsonLine(line);
    if (fields?.msg !== "listening" || typeof fields.url !== "string") return undefined;
    return Number(new URL(fields.url).port);
  });
  await waitHealthy(service, "/healthz");
  return service;
}

export async function expectJson(
  response: Response,
  status: number,
  what: string,
): Promise<unknown> {
  const text = await response.text();
  if (response.status !== status) {
    throw new BenchError(`${what}: expected ${status}, got ${response.status}: ${text}`);
  }
  return JSON.parse(text);
}

export async function registerMember(base: string, email: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD, name: "Bench Member" }),
  });
  const body = await expectJson(response, 201, "POST /api/v1/auth/register") as {
    access_token?: unknown;
  };
  if (typeof body.access_token !== "string") {
    throw new BenchError(`register answered without an access_token: ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

/** The paced probe's figures over `seconds` (it exits 1 on any non-200 answer). */
async function probeFor(url: string, token: string, seconds: number): Promise<ProbeResult> {
  const stop = await startProbe(url, token);
  await delay(seconds * 1000);
  return await stop();
}

/** One request of each kind before loading it, so a broken route fails here, clearly. */
async function checkRoutes(base: string, email: string, token: string): Promise<void> {
  const authorization = { authorization: `Bearer ${token}` };
  const rest = await expectJson(
    await fetch(`${base}/api/v1/users/me`, { headers: authorization }),
    200,
    "GET /api/v1/users/me",
  ) as { email?: unknown };
  if (rest.email !== email) throw new BenchError(`REST /users/me: ${JSON.stringify(rest)}`);
  const trpc = await expectJson(
    await fetch(`${base}/trpc/users.me`, { headers: authorization }),
    200,
    "GET /trpc/users.me",
  ) as { result?: { data?: { email?: unknown } } };
  if (trpc.result?.data?.email !== email) {
    throw new BenchError(`tRPC users.me: ${JSON.stringify(trpc)}`);
  }
  const login = await expectJson(
    await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    }),
    200,
    "POST /api/v1/auth/login",
  ) as { access_token?: unknown };
  if (typeof login.access_token !== "string") {
    throw new BenchError(`login: ${JSON.stringify(login)}`);
  }
}

/**
 * Argon2id verifications per second, `concurrency` at a time, in this process: `oslo/password`
 * alone, on the runtime's own thread pool, with nothing else running.
 */
async function argonVerificationsPerSecond(seconds: number, concurrency: number) {
  const hasher = new Argon2id();
  const hash = await hasher.hash(PASSWORD);
  if (!await hasher.verify(hash, PASSWORD)) throw new BenchError("argon2id: verify failed");
  let count = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      if (!await hasher.verify(hash, PASSWORD)) throw new BenchError("argon2id: verify failed");
      count++;
    }
  }));
  return count / ((performance.now() - started) / 1000);
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

interface Row {
  measurement: string;
  load: string;
  throughput: string;
  p99: string;
  ratio: string;
  target: string;
  result: string;
  errors: string;
}

function rate(value: number): string {
  return value >= 1000
    ? Math.round(value).toLocaleString("en-US")
    : value.toFixed(value >= 100 ? 0 : 1);
}

function ms(value: number): string {
  return `${value.toFixed(value >= 100 ? 0 : 2)} ms`;
}

/** Windows of one wrk load as one: requests and errors summed, the worst window's p99. */
function pooledWindows(windows: WrkResult[], seconds: number): WrkResult {
  const sum = (field: "requests" | "non2xx" | "socketErrors") =>
    windows.reduce((total, w) => total + w[field], 0);
  return {
    requests: sum("requests"),
    rps: sum("requests") / (windows.length * seconds),
    p99Ms: Math.max(...windows.map((w) => w.p99Ms)),
    non2xx: sum("non2xx"),
    socketErrors: sum("socketErrors"),
  };
}

/** Non-2xx/3xx responses out of all, plus socket errors when there were any. */
function errors(result: WrkResult): string {
  const sockets = result.socketErrors === 0 ? "" : ` +${result.socketErrors} socket`;
  return `${result.non2xx} of ${result.requests}${sockets}`;
}

function verdict(met: boolean, missed: string[], what: string): string {
  if (!met) missed.push(what);
  return met ? "ok" : "MISSED";
}

function table(rows: Row[]): string {
  const header: Row = {
    measurement: "Measurement",
    load: "Load",
    throughput: "Throughput",
    p99: "p99",
    ratio: "Ratio",
    target: "Target",
    result: "Result",
    errors: "Non-2xx",
  };
  const keys = Object.keys(header) as (keyof Row)[];
  const right = new Set<keyof Row>(["throughput", "p99", "ratio", "errors"]);
  const widths = keys.map((key) => Math.max(...[header, ...rows].map((row) => row[key].length)));
  const line = (row: Row) =>
    `| ${
      keys.map((key, i) =>
        right.has(key) ? row[key].padStart(widths[i]) : row[key].padEnd(widths[i])
      )
        .join(" | ")
    } |`;
  const rule = `|${
    keys.map((key, i) =>
      right.has(key) ? `${"-".repeat(widths[i] + 1)}:` : "-".repeat(widths[i] + 2)
    )
      .join("|")
  }|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

async function describeMachine(): Promise<string> {
  let wrkVersion = "wrk";
  try {
    const out = await new Deno.Command("wrk", { args: ["--version"], stdout: "piped" }).output();
    wrkVersion = new TextDecoder().decode(out.stdout).split(" Copyright")[0].trim();
  } catch {
    // keep the generic name
  }
  return `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ${wrkVersion}, ` +
    `${Deno.build.os}/${Deno.build.arch}`;
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

function step(message: string): void {
  console.error(`· ${message}`);
}

async function main(): Promise<void> {
  await ensureWrk();
  const started = performance.now();

  const dataDir = await Deno.makeTempDir({ prefix: "vestibule-bench-" });
  cleanups.push(() => Deno.remove(dataDir, { recursive: true }));
  const database = await benchDatabase();
  if (database !== undefined) cleanups.push(() => database.drop());

  step("starting the bare Deno.serve handler and Vestibule");
  const [bare, service] = await Promise.all([
    spawnServer(
      "bare server",
      ["run", "--quiet", "--allow-net=127.0.0.1", BARE_SERVER, "0"],
      {},
      (line) => {
        const port = jsonLine(line)?.port;
        return typeof port === "number" ? port : undefined;
      },
    ),
    startVestibule(dataDir, database?.url),
  ]);
  await waitHealthy(bare, "/");

  const email = `bench-${crypto.randomUUID()}@example.com`;
  const token = await registerMember(service.url, email);
  await checkRoutes(service.url, email, token);
  const auth = [`Authorization: Bearer ${token}`];
  const loginScript = `${dataDir}/login.lua`;
  await Deno.writeTextFile(
    loginScript,
    [
      `wrk.method = "POST"`,
      `wrk.headers["Content-Type"] = "application/json"`,
      `wrk.body = [==[${JSON.stringify({ email, password: PASSWORD })}]==]`,
      "",
    ].join("\n"),
  );

  const meUrl = `${service.url}/api/v1/users/me`;
  const measure = async (label: string, url: string, headers: string[]) => {
    step(`${label}: warm-up ${DURATION.warmup} s, then wrk -t2 -c50 -d${DURATION.throughput}s`);
    const options = { url, threads: 2, connections: 50, headers };
    await wrk(label, { ...options, seconds: DURATION.warmup });
    return await wrk(label, { ...options, seconds: DURATION.throughput });
  };
  const throughput = {
    bare: await measure("bare handler", `${bare.url}/`, []),
    rest: await measure("REST GET /api/v1/users/me", meUrl, auth),
    trpc: await measure("tRPC GET /trpc/users.me", `${service.url}/trpc/users.me`, auth),
  };

  // The first sign-ins start the service's Workers (the password pool, one at a time, and on
  // SQLite the commit thread), and their code is optimised only after thousands of them. Warmed
  // up, the login run measures sign-ins at their steady pace, as Argon2id alone is (its own first
  // hash comes before its clock starts).
  const loginRun = (seconds: number, base = service.url, threads = 2, connections = 8) =>
    wrk(`POST /api/v1/auth/login on ${base}`, {
      url: `${base}/api/v1/auth/login`,
      threads,
      connections,
      seconds,
      script: loginScript,
    });
  step(`POST /api/v1/auth/login: warm-up ${DURATION.loginWarmup} s`);
  await loginRun(DURATION.loginWarmup);

  // Argon2id alone and sign-ins alternate: an Argon2id window first and one after each of
  // ${DURATION.rounds} sign-in windows, each side pooled over its windows. On a shared or virtual
  // machine the CPU speed drifts (by 15% between two 5-s windows 10 s apart), and windows far
  // apart could favour either side; interleaved, both see the same machine.
  step(`Argon2id verify alone, in-process, 8 concurrent, ${DURATION.argon} s`);
  const argonRates = [await argonVerificationsPerSecond(DURATION.argon, 8)];
  const loginWindows: WrkResult[] = [];
  for (let round = 1; round <= DURATION.rounds; round++) {
    step(
      `POST /api/v1/auth/login, round ${round} of ${DURATION.rounds}: ` +
        `wrk -t2 -c8 -d${DURATION.loginWindow}s, then Argon2id alone ${DURATION.argon} s`,
    );
    loginWindows.push(await loginRun(DURATION.loginWindow));
    argonRates.push(await argonVerificationsPerSecond(DURATION.argon, 8));
  }
  const login = pooledWindows(loginWindows, DURATION.loginWindow);
  const argonRate = argonRates.reduce((sum, r) => sum + r, 0) / argonRates.length;

  // The p99 target is judged on a paced probe (one request every 2 ms from its own process):
  // latency as a member sees it, the server never saturated. Idle and loaded windows alternate,
  // ${DURATION.rounds} of each, and each p99 is over its pooled requests: both see the same
  // machine, whatever it does meanwhile, and one stray stall weighs less. The same under wrk's
  // closed loop (-c4, as fast as the server answers) is reported too; there the p99 is mostly the
  // queue of a saturated event loop, which any extra work lengthens.
  const logins = (seconds: number) => {
    const running = wrk("POST /api/v1/auth/login (background)", {
      url: `${service.url}/api/v1/auth/login`,
      threads: 2,
      connections: 8,
      seconds,
      script: loginScript,
    });
    running.catch(() => {}); // a failure surfaces through its await, not as unhandled
    return running;
  };
  const probesIdle: ProbeResult[] = [];
  const probesLoaded: ProbeResult[] = [];
  const loginRates: WrkResult[] = [];
  for (let round = 1; round <= DURATION.rounds; round++) {
    step(
      `GET /api/v1/users/me, paced probe, round ${round} of ${DURATION.rounds}: ` +
        `${DURATION.window} s idle, then ${DURATION.window} s during logins (-c8)`,
    );
    probesIdle.push(await probeFor(meUrl, token, DURATION.window));
    const running = logins(DURATION.window + 1);
    await delay(1_000); // let the logins reach a steady state first
    probesLoaded.push(await probeFor(meUrl, token, DURATION.window));
    loginRates.push(await running);
  }
  const probeIdle = pooled(probesIdle);
  const probeLoaded = pooled(probesLoaded);

  step(`GET /api/v1/users/me under wrk -t1 -c4: ${DURATION.window} s idle, then during logins`);
  const idle = await wrk("GET /users/me idle", {
    url: meUrl,
    threads: 1,
    connections: 4,
    seconds: DURATION.window,
    headers: auth,
  });
  const loginsRunning = logins(DURATION.window + 1);
  await delay(1_000);
  const loaded = await wrk("GET /users/me during logins", {
    url: meUrl,
    threads: 1,
    connections: 4,
    seconds: DURATION.window,
    headers: auth,
  });
  loginRates.push(await loginsRunning);
  if (!service.alive()) throw new BenchError(`Vestibule exited:\n${service.tail()}`);

  // Two instances on one PostgreSQL database: the same loads split between them, at once.
  let twoInstances: { rest: WrkResult[]; login: WrkResult[] } | undefined;
  if (database !== undefined) {
    step("a second Vestibule instance on the same PostgreSQL database");
    const secondDir = await Deno.makeTempDir({ prefix: "vestibule-bench-" });
    cleanups.push(() => Deno.remove(secondDir, { recursive: true }));
    const second = await startVestibule(secondDir, database.url);
    const instances = [service.url, second.url];
    step(`REST GET /api/v1/users/me on both instances at once: wrk -t1 -c25 each`);
    const both = (label: string, run: (base: string) => Promise<WrkResult>) =>
      Promise.all(instances.map((base) =>
        run(base).catch((error) => {
          throw new BenchError(`${label} on ${base}: ${error.message}`);
        })
      ));
    await both("warm-up", (base) =>
      wrk("warm-up", {
        url: `${base}/api/v1/users/me`,
        threads: 1,
        connections: 25,
        seconds: DURATION.warmup,
        headers: auth,
      }));
    const rest = await both("REST", (base) =>
      wrk(`REST GET /api/v1/users/me on ${base}`, {
        url: `${base}/api/v1/users/me`,
        threads: 1,
        connections: 25,
        seconds: DURATION.throughput,
        headers: auth,
      }));
    step(`POST /api/v1/auth/login on both instances at once: wrk -t1 -c4 each`);
    await both("login warm-up", (base) => loginRun(DURATION.loginWarmup, base, 1, 4));
    const loginBoth = await both("login", (base) => loginRun(DURATION.login, base, 1, 4));
    twoInstances = { rest, login: loginBoth };
  }

  // -------------------------------------------------------------------------------------------
  const missed: string[] = [];
  const base = throughput.bare.rps;
  const restRatio = throughput.rest.rps / base;
  const trpcRatio = throughput.trpc.rps / base;
  const loginRatio = login.rps / argonRate;
  const p99Ratio = probeLoaded.p99 / probeIdle.p99;
  const rows: Row[] = [
    {
      measurement: 'Bare Deno.serve {"ok":true}',
      load: "-t2 -c50",
      throughput: `${rate(base)} req/s`,
      p99: ms(throughput.bare.p99Ms),
      ratio: "1.00",
      target: "baseline",
      result: "",
      errors: errors(throughput.bare),
    },
    {
      measurement: "REST GET /api/v1/users/me",
      load: "-t2 -c50",
      throughput: `${rate(throughput.rest.rps)} req/s`,
      p99: ms(throughput.rest.p99Ms),
      ratio: `${restRatio.toFixed(2)} x bare`,
      target: `>= ${TARGETS.rest}`,
      result: verdict(restRatio >= TARGETS.rest, missed, "REST /users/me throughput"),
      errors: errors(throughput.rest),
    },
    {
      measurement: "tRPC GET /trpc/users.me",
      load: "-t2 -c50",
      throughput: `${rate(throughput.trpc.rps)} req/s`,
      p99: ms(throughput.trpc.p99Ms),
      ratio: `${trpcRatio.toFixed(2)} x bare`,
      target: `>= ${TARGETS.trpc}`,
      result: verdict(trpcRatio >= TARGETS.trpc, missed, "tRPC users.me throughput"),
      errors: errors(throughput.trpc),
    },
    {
      measurement: "Argon2id verify alone (in-process)",
      load: "8 concurrent",
      throughput: `${rate(argonRate)} verif/s`,
      p99: "",
      ratio: "1.00",
      target: "baseline",
      result: "",
      errors: "",
    },
    {
      measurement: "REST POST /api/v1/auth/login",
      load: "-t2 -c8",
      throughput: `${rate(login.rps)} logins/s`,
      p99: ms(login.p99Ms),
      ratio: `${loginRatio.toFixed(2)} x argon`,
      target: `>= ${TARGETS.login}`,
      result: verdict(loginRatio >= TARGETS.login, missed, "login throughput"),
      errors: errors(login),
    },
    {
      measurement: "GET /api/v1/users/me, idle",
      load: "probe, 1 per 2 ms",
      throughput: `${rate(probeIdle.count / (DURATION.rounds * DURATION.window))} req/s`,
      p99: ms(probeIdle.p99),
      ratio: "1.00",
      target: "baseline",
      result: "",
      errors: `0 of ${probeIdle.count}`,
    },
    {
      measurement: "GET /api/v1/users/me, during logins",
      load: "probe (+ logins -c8)",
      throughput: `${rate(probeLoaded.count / (DURATION.rounds * DURATION.window))} req/s`,
      p99: ms(probeLoaded.p99),
      ratio: `${p99Ratio.toFixed(2)} x idle p99`,
      target: `<= ${TARGETS.p99UnderLogins}`,
      result: verdict(p99Ratio <= TARGETS.p99UnderLogins, missed, "/users/me p99 under logins"),
      errors: `0 of ${probeLoaded.count}`,
    },
    {
      measurement: "GET /api/v1/users/me, idle, saturated",
      load: "-t1 -c4",
      throughput: `${rate(idle.rps)} req/s`,
      p99: ms(idle.p99Ms),
      ratio: "1.00",
      target: "",
      result: "",
      errors: errors(idle),
    },
    {
      measurement: "GET /api/v1/users/me, during logins, saturated",
      load: "-t1 -c4 (+ logins -c8)",
      throughput: `${rate(loaded.rps)} req/s`,
      p99: ms(loaded.p99Ms),
      ratio: `${(loaded.p99Ms / idle.p99Ms).toFixed(2)} x idle p99`,
      target: "",
      result: "",
      errors: errors(loaded),
    },
  ];
  if (twoInstances !== undefined) {
    const sum = (results: WrkResult[]) => results.reduce((total, r) => total + r.rps, 0);
    const restBoth = sum(twoInstances.rest);
    const loginBoth = sum(twoInstances.login);
    rows.push(
      {
        measurement: "REST GET /api/v1/users/me, two instances",
        load: "-t1 -c25 on each",
        throughput: `${rate(restBoth)} req/s`,
        p99: ms(Math.max(...twoInstances.rest.map((r) => r.p99Ms))),
        ratio: `${(restBoth / throughput.rest.rps).toFixed(2)} x one`,
        target: "report",
        result: "",
        errors: twoInstances.rest.map(errors).join(", "),
      },
      {
        measurement: "REST POST /api/v1/auth/login, two instances",
        load: "-t1 -c4 on each",
        throughput: `${rate(loginBoth)} logins/s`,
        p99: ms(Math.max(...twoInstances.login.map((r) => r.p99Ms))),
        ratio: `${(loginBoth / login.rps).toFixed(2)} x one`,
        target: "report",
        result: "",
        errors: twoInstances.login.map(errors).join(", "),
      },
    );
  }

  console.log(
    `\nVestibule benchmark on ${
      database === undefined ? "SQLite" : "PostgreSQL"
    } (${await describeMachine()})\n`,
  );
  console.log(table(rows));
  console.log(
    `\nLogins running alongside /users/me (each probe window, then wrk): ${
      loginRates.map((result) => rate(result.rps)).join(", ")
    } logins/s (non-2xx ${loginRates.map(errors).join(", ")}). Probe p99 per window, idle: ${
      probesIdle.map((result) => ms(result.p99)).join(", ")
    }; during logins: ${probesLoaded.map((result) => ms(result.p99)).join(", ")}. Total time ${
      ((performance.now() - started) / 1000).toFixed(0)
    } s.`,
  );
  console.log(
    `Argon2id alone, in the windows around the sign-ins: ${
      argonRates.map(rate).join(", ")
    } verif/s; the baseline is their mean. Sign-ins per window: ${
      loginWindows.map((w) => rate(w.rps)).join(", ")
    } logins/s.`,
  );
  const drift = (Math.max(...argonRates) - Math.min(...argonRates)) / argonRate;
  if (drift > 0.15) {
    console.log(
      `Warning: the Argon2id windows differ by up to ${(drift * 100).toFixed(0)}%: the machine's ` +
        "speed drifted during the run, so the login ratio is unreliable; run the bench again.",
    );
  }
  console.log(
    missed.length === 0
      ? "All targets met."
      : `Targets missed (${missed.length}): ${missed.join("; ")}.`,
  );
}

if (import.meta.main) {
  let interrupted = false;
  Deno.addSignalListener("SIGINT", async () => {
    interrupted = true;
    console.error("interrupted: stopping the servers");
    await cleanup();
    Deno.exit(130);
  });
  let code = 0;
  try {
    await main();
  } catch (error) {
    if (!interrupted) {
      console.error(error instanceof BenchError ? `bench failed: ${error.message}` : error);
    }
    code = 1;
  } finally {
    await cleanup();
  }
  Deno.exit(interrupted ? 130 : code);
}
