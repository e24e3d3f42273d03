/**
 * A latency probe in a process of its own: sends `GET <url>` with a bearer token, one request
 * every `intervalMs` (steady traffic that measures latency without saturating the machine), until
 * it receives SIGTERM; then prints one JSON line `{"latencies": [...]}` (milliseconds) and exits.
 * Being its own process, it never shares an event loop with what it measures. `probe.ts` drives
 * it and computes the percentiles.
 *
 * Usage: `deno run --allow-net tests/bench/latency_probe.ts <url> <token> [intervalMs=2]`
 */
const [url, token, interval = "2"] = Deno.args;
const intervalMs = Number(interval);
const latencies: number[] = [];
let stop = false;
Deno.addSignalListener("SIGTERM", () => (stop = true));
console.log(JSON.stringify({ ready: true }));
while (!stop) {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await response.body?.cancel();
  if (response.status !== 200) {
    console.error(`probe: ${url} answered ${response.status}`);
    Deno.exit(1);
  }
  const elapsed = performance.now() - started;
  latencies.push(elapsed);
  if (elapsed < intervalMs) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs - elapsed));
  }
}
console.log(JSON.stringify({ latencies }));
Deno.exit(0);
