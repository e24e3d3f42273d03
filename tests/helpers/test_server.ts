import { createTRPCClient, httpLink } from "@trpc/client";
import { manualClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import type { Deps } from "../../src/deps.ts";
import type { Logger } from "../../src/log.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import type { AppRouter } from "../../src/trpc/app_router.ts";
import { type ReadMail, readMailDir } from "./mail.ts";
import { createTestDatabase, testDatabaseUrl } from "./test_database.ts";

/** A JSON answer from the REST API. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** A real Vestibule on an ephemeral port, with a fresh data directory and a clock tests move. */
export interface TestServer extends RunningServer {
  dataDir: string;
  /** The variables that point a CLI run at this server's data (directory and database). */
  cliEnv: Record<string, string>;
  clock: ReturnType<typeof manualClock>;
  logs: Record<string, unknown>[];
  api(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string; headers?: HeadersInit },
  ): Promise<ApiResponse>;
  trpc(token?: string): ReturnType<typeof createTRPCClient<AppRouter>>;
  /** Waits for background work and mail delivery, then returns every `.eml` written so far. */
  mailbox(): Promise<ReadMail[]>;
  /** The messages sent to one address, oldest first. */
  mailTo(address: string): Promise<ReadMail[]>;
  /** Registers a member and returns the sign-in answer. */
  register(email?: string, password?: string): Promise<ApiResponse["body"]>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * Starts the real server: real SQLite file in a temporary directory (or, when `TEST_DATABASE_URL`
 * is set, a fresh PostgreSQL database of its own), real HTTP on 127.0.0.1.
 * `env` overrides configuration variables; `overrides` replaces dependencies (never with mocks:
 * only a clock, a logger, or a deliberately failing part to test the 500 path).
 */
export async function startTestServer(
  env: Record<string, string> = {},
  overrides: Partial<Deps> = {},
): Promise<TestServer> {
  const dataDir = await Deno.makeTempDir({ prefix: "vestibule-test-" });
  const database = testDatabaseUrl !== undefined && env.DATABASE_URL === undefined
    ? await createTestDatabase()
    : undefined;
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_REQUESTS: "false",
    ...(database
      ? {
        DATABASE_URL: database.url,
        DATABASE_POOL_SIZE: "4",
        JWT_SECRET: "the test server's secret, 32 characters or more",
      }
      : {}),
    ...env,
  });
  const clock = manualClock(new Date("2026-11-23T10:00:00.000Z"));
  const logs: Record<string, unknown>[] = [];
  const log: Logger = {
    debug: (f) => logs.push({ ...f, level: "debug" }),
    info: (f) => logs.push(f),
    error: (f) => logs.push({ ...f, level: "error" }),
  };
  // Jobs run when a test says so (server.deps / runJob), not on the wall clock's schedule.
  const server = await startServer(config, { clock, log, ...overrides }, { startJobs: false })
    .catch(async (error) => {
      await database?.drop();
      throw error;
    });

  async function api(
    method: string,
    path: string,
    options: { body?: unknown; token?: string; headers?: HeadersInit } = {},
  ): Promise<ApiResponse> {
    const headers = new Headers(options.headers);
    if (options.token) headers.set("authorization", `Bearer ${options.token}`);
    let body: BodyInit | undefined;
    if (options.body instanceof FormData) {
      body = options.body; // fetch sets the multipart content type and boundary
    } else if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const response = await fetch(`${server.url}/api/v1${path}`, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : null,
    };
  }

  async function mailbox(): Promise<ReadMail[]> {
    await server.deps.background.idle();
    await server.deps.outbox.idle();
    return await readMailDir(`${dataDir}/mail`);
  }

  return {
    ...server,
    dataDir,
    cliEnv: { DATA_DIR: dataDir, ...(database ? { DATABASE_URL: database.url } : {}) },
    clock,
    logs,
    api,
    trpc: (token) =>
      createTRPCClient<AppRouter>({
        links: [httpLink({
          url: `${server.url}/trpc`,
          headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
        })],
      }),
    mailbox,
    mailTo: async (address) => (await mailbox()).filter((mail) => mail.to === address),
    register: async (email = `member${++counter}@example.com`, password = "secure123") => {
      const response = await api("POST", "/auth/register", {
        body: { email, password, name: "Member" },
      });
      if (response.status !== 201) {
        throw new Error(`register failed: ${JSON.stringify(response.body)}`);
      }
      return response.body;
    },
    close: async () => {
      await server.shutdown();
      await database?.drop();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}
