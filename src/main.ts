import { ConfigError, loadConfig } from "./config.ts";
import { startServer } from "./server.ts";

/** Composition root: configuration → dependencies → HTTP; SIGTERM and SIGINT drain and exit. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      Deno.exit(1);
    }
    throw error;
  }
  const server = await startServer(config);
  console.log(
    JSON.stringify({ level: "info", msg: "listening", url: server.url, data_dir: config.dataDir }),
  );
  const stop = async () => {
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}

if (import.meta.main) await main();
