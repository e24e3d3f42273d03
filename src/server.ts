import { loadConfig } from "./config.ts";
import type { Config } from "./config.ts";
import { closeDeps, createDeps, type Deps } from "./deps.ts";
import { createHandler } from "./http/handler.ts";
import { jobs } from "./jobs/jobs.ts";
import { startScheduler } from "./jobs/scheduler.ts";

/** A running Vestibule: where it listens, and how to stop it cleanly. */
export interface RunningServer {
  deps: Deps;
  url: string;
  port: number;
  /** Stops accepting, drains requests, jobs and background work, then closes the database. */
  shutdown(): Promise<void>;
}

/**
 * Starts the service: dependencies, the HTTP edge and the scheduler. `overrides` replaces parts
 * of the dependencies; tests pass their clock, logger and mail transport here, and
 * `startJobs: false` leaves the schedule to them (they run jobs directly).
 */
export async function startServer(
  config: Config = loadConfig(Deno.env.toObject()),
  overrides: Partial<Deps> = {},
  options: { startJobs?: boolean } = {},
): Promise<RunningServer> {
  const deps = await createDeps(config, overrides);
  const handler = createHandler(deps);
  const scheduler = startScheduler(deps, options.startJobs === false ? [] : jobs);
  const server = Deno.serve({
    port: config.port,
    hostname: config.host,
    onListen: () => {},
  }, handler);
  const { port } = server.addr as Deno.NetAddr;
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  return {
    deps,
    port,
    url: `http://${host}:${port}`,
    shutdown: async () => {
      await server.shutdown();
      await scheduler.stop();
      await deps.background.drain();
      await deps.outbox.idle();
      await deps.webhooks.idle();
      await closeDeps(deps);
    },
  };
}
