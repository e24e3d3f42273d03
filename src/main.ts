import { type Config, loadConfig } from "./config.ts";
import { environment } from "./dotenv.ts";
import { createJsonLogger } from "./log.ts";
import { type RunningServer, startServer } from "./server.ts";

/**
 * Composition root: `.env` and the environment → configuration → server. A start-up failure
 * prints one line naming its cause (never a stack trace) and exits 1. SIGTERM and SIGINT stop
 * accepting, let requests in progress finish, stop the jobs and Workers and exit 0; past
 * `SHUTDOWN_TIMEOUT` seconds it exits 1 anyway, saying so.
 */
async function main(): Promise<void> {
  let config: Config;
  let server: RunningServer;
  try {
    config = loadConfig(environment());
    server = await startServer(config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`Vestibule cannot start: ${message.replace(/\s*\n\s*/g, " ")}`);
    Deno.exit(1);
  }
  const log = createJsonLogger(config.logLevel);
  let stopping = false;
  const stop = async (signal: Deno.Signal) => {
    if (stopping) return;
    stopping = true;
    const timeout = config.shutdownTimeoutSeconds;
    log.info({ msg: "shutting down", signal, timeout_seconds: timeout });
    const timer = setTimeout(() => {
      log.error({
        msg: "shutdown timed out; exiting with work unfinished",
        timeout_seconds: timeout,
      });
      Deno.exit(1);
    }, timeout * 1000);
    try {
      await server.shutdown();
    } catch (error) {
      log.error({ msg: "shutdown failed", error: String(error) });
      Deno.exit(1);
    }
    clearTimeout(timer);
    log.info({ msg: "stopped" });
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  log.info({ msg: "listening", url: server.url, data_dir: config.dataDir });
}

if (import.meta.main) await main();
