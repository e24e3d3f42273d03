/**
 * The baseline for `deno task bench`: the cheapest useful `Deno.serve` JSON handler, run in its
 * own process so it never shares an event loop with Vestibule or the bench driver.
 *
 * Usage: `deno run --allow-net=127.0.0.1 tests/bench/bare_server.ts [port]` (default 0: any free
 * port). Prints one JSON line, `{"port":<port>}`, once listening; SIGTERM stops it.
 */
const port = Number(Deno.args[0] ?? 0);

const server = Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: (addr) => console.log(JSON.stringify({ port: addr.port })),
}, () => Response.json({ ok: true }));

Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
