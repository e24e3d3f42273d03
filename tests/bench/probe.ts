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
  const probe = await startReporter([PROBE, url, token], "latency probe");
  return async () => summarize(JSON.parse(await probe.stop()).latencies);
}

/**
 * Runs a Deno script (with `--allow-net`) in a process of its own that prints one line once it is
 * ready and its figures when SIGTERM ends it: resolves with that first line; `stop()` ends the
 * process and gives everything it printed after it.
 */
export async function startReporter(
  args: string[],
  what: string,
): Promise<{ ready: string; stop(): Promise<string> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net", ...args],
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (!buffer.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`${what} exited before it was ready`);
    buffer += value;
  }
  const ready = buffer.slice(0, buffer.indexOf("\n"));
  buffer = buffer.slice(buffer.indexOf("\n") + 1);
  return {
    ready,
    stop: async () => {
      child.kill("SIGTERM");
      for (;;) {
        const { value, done } = await lines.read();
        if (done) break;
        buffer += value;
      }
      await child.status;
      return buffer.trim();
    },
  };
}
