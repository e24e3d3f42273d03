/** Drives `latency_probe.ts` from a benchmark. */
import { fileURLToPath } from "node:url";

const PROBE = fileURLToPath(new URL("./latency_probe.ts", import.meta.url));

export interface ProbeResult {
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** Every latency, sorted. */
  latencies: number[];
}

/** The figures of these latencies (milliseconds). */
function summarize(unsorted: number[]): ProbeResult {
  const latencies = unsorted.toSorted((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { count: latencies.length, p50: at(0.5), p99: at(0.99), max: at(1), latencies };
}

/** The figures of several probe runs taken together, as if one run had made all their requests. */
export function pooled(results: ProbeResult[]): ProbeResult {
  return summarize(results.flatMap((result) => result.latencies));
}

/**
 * Starts `latency_probe.ts` in a process of its own against `url` (one authenticated `GET` every
 * 2 ms: steady traffic that measures latency without saturating the service) and resolves once
 * it is sending; the returned function stops it and gives its figures in milliseconds.
 */
export async function startProbe(url: string, token: string): Promise<() => Promise<ProbeResult>> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net", PROBE, url, token],
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (!buffer.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error("latency probe exited before it was ready");
    buffer += value;
  }
  buffer = buffer.slice(buffer.indexOf("\n") + 1);
  return async () => {
    child.kill("SIGTERM");
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      buffer += value;
    }
    await child.status;
    return summarize(JSON.parse(buffer.trim()).latencies);
  };
}
