/**
 * A webhook receiver in a process of its own for `webhook_bench.ts`: answers every POST with 204
 * at once and records, per request, how long after the event's `timestamp` it arrived (ms). Prints
 * `{"port"}` when listening; on SIGTERM prints `{"count", "lags"}` and exits.
 *
 * Usage: `deno run --allow-net tests/bench/webhook_sink.ts`
 */
const lags: number[] = [];
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const body = await req.text();
  const at = Date.now();
  const match = /"timestamp":"([^"]+)"/.exec(body);
  if (match) lags.push(at - Date.parse(match[1]));
  return new Response(null, { status: 204 });
});
console.log(JSON.stringify({ port: server.addr.port }));
Deno.addSignalListener("SIGTERM", () => {
  console.log(JSON.stringify({ count: lags.length, lags }));
  Deno.exit(0);
});
