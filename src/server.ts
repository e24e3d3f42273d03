import { loadConfig } from "./config.ts";
import type { Config } from "./config.ts";
import { closeDeps, createDeps, type Deps, hasServerSecret } from "./deps.ts";
import { createHandler, type Handler } from "./http/handler.ts";
import { json } from "./http/responses.ts";
import { jobs } from "./jobs/jobs.ts";
import { startScheduler } from "./jobs/scheduler.ts";

/** A running Vestibule: where it listens, and how to stop it cleanly. */
export interface RunningServer {
  deps: Deps;
  url: string;
  port: number;
  /**
   * Answers new requests 503 `Shutting down` (with `Connection: close`), lets requests in progress
   * finish (an upload still sending its body included), closes the listener, stops the scheduler and waits for its runs, drains background work and mail, then
   * stops the Workers and closes the database.
   */
  shutdown(): Promise<void>;
}

/** The environment cannot run the server; the message is one line naming the cause. */
export class StartupError extends Error {
  override name = "StartupError";
}

/**
 * Starts the service: checks the data directory, binds the port, then builds the dependencies
 * (opening and migrating the database, generating the JWT secret on first start), the HTTP edge
 * and the scheduler. A data directory it cannot write or a port it cannot bind stops it before
 * anything is migrated or generated. `overrides` replaces parts of the dependencies; tests pass
 * their clock, logger and mail transport here, and `startJobs: false` leaves the schedule to
 * them (they run jobs directly).
 * @throws {StartupError} when `DATA_DIR` is unusable, the port cannot be bound, or PostgreSQL is
 *   configured without a secret (`hasServerSecret`)
 */
export async function startServer(
  config: Config = loadConfig(Deno.env.toObject()),
  overrides: Partial<Deps> = {},
  options: { startJobs?: boolean } = {},
): Promise<RunningServer> {
  checkDataDir(config.dataDir);
  if (config.databaseUrl !== undefined && !hasServerSecret(config)) {
    throw new StartupError(
      "JWT_SECRET must be set with DATABASE_URL: every instance on the database signs and checks access tokens with it",
    );
  }
  // Bound first, answering 503 until ready: a busy port fails before the database is touched.
  const ready: { handler?: Handler } = {};
  // Set by shutdown(): new requests are refused, and it is called once none is in progress.
  const drain: { done?: () => void } = {};
  const idle = () => drain.done?.();
  let inFlight = 0;
  const server = listen(config, async (request, info) => {
    const handler = ready.handler;
    if (handler === undefined) return json({ detail: "Starting", code: "NOT_READY" }, 503);
    if (drain.done !== undefined) {
      return json({ detail: "Shutting down", code: "NOT_READY" }, 503, { connection: "close" });
    }
    inFlight++;
    try {
      return await handler(request, info);
    } finally {
      if (--inFlight === 0) idle();
    }
  });
  let deps: Deps;
  try {
    deps = await createDeps(config, overrides);
  } catch (error) {
    await server.shutdown();
    throw error;
  }
  ready.handler = createHandler(deps);
  const scheduler = startScheduler(deps, options.startJobs === false ? [] : jobs);
  const { port } = server.addr as Deno.NetAddr;
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  return {
    deps,
    port,
    url: `http://${host}:${port}`,
    shutdown: async () => {
      // Deno's server.shutdown() takes away the body of a request still being received (an
      // upload gets "BadResource"), so first answer new requests 503 and wait for those in
      // progress; then close the listener and the idle connections.
      await new Promise<void>((resolve) => {
        drain.done = resolve;
        if (inFlight === 0) resolve();
      });
      await server.shutdown();
      await scheduler.stop();
      await deps.background.drain();
      await deps.outbox.idle();
      await deps.webhooks.idle();
      await closeDeps(deps);
    },
  };
}

function listen(config: Config, handler: Handler): Deno.HttpServer {
  try {
    return Deno.serve({ port: config.port, hostname: config.host, onListen: () => {} }, handler);
  } catch (error) {
    const where = `port ${config.port} on ${config.host}`;
    if (error instanceof Deno.errors.AddrInUse) {
      throw new StartupError(`Cannot listen: ${where} is already in use (PORT, HOST)`, {
        cause: error,
      });
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new StartupError(`Cannot listen: not allowed to bind ${where} (PORT, HOST)`);
    }
    if (error instanceof Deno.errors.AddrNotAvailable) {
      throw new StartupError(`Cannot listen: ${config.host} is not an address of this host (HOST)`);
    }
    throw new StartupError(`Cannot listen on ${where}: ${oneLine(error)}`);
  }
}

/** Creates `dir` when missing and proves a file can be written and removed in it. */
function checkDataDir(dir: string): void {
  try {
    Deno.mkdirSync(dir, { recursive: true });
    const probe = Deno.makeTempFileSync({ dir, prefix: ".write-probe-" });
    Deno.removeSync(probe);
  } catch (error) {
    const reason = error instanceof Deno.errors.AlreadyExists
      ? "it exists and is not a directory"
      : error instanceof Deno.errors.NotADirectory
      ? "a part of its path is a file, not a directory"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied (it must be writable by the service's user)"
      : oneLine(error);
    throw new StartupError(`DATA_DIR ${dir} is not usable: ${reason}`);
  }
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
}
