import { loadConfig } from "./config.ts";
import type { Config } from "./config.ts";
import { createDeps, type Deps } from "./deps.ts";
import { createHandler } from "./http/handler.ts";

/** A running Vestibule: where it listens, and how to stop it cleanly. */
export interface RunningServer {
  deps: Deps;
  url: string;
  port: number;
  /** Stops accepting, drains requests in flight, then closes the database. */
  shutdown(): Promise<void>;
}

/**
 * Starts the service: dependencies, the HTTP edge, and (in later capabilities) the scheduler.
 * `overrides` replaces parts of the dependencies; tests pass their clock and logger here.
 */
export async function startServer(
  config: Config = loadConfig(Deno.env.toObject()),
  overrides: Partial<Deps> = {},
): Promise<RunningServer> {
  const deps = await createDeps(config, overrides);
  const handler = createHandler(deps);
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
      await deps.db.destroy();
    },
  };
}
