/**
 * `deno task bench` (second part): profile-picture uploads.
 *
 * 1. imagescript's own decode + resize + encode of a 2000x2000 JPEG, in this process, against
 *    the p50 of uploading the same file to Vestibule end to end (HTTP, worker, storage, commit).
 *    Target: upload p50 <= 1.3x the bare processing p50.
 * 2. The longest event-loop stall the service shows while uploads run: this process sends
 *    `GET /api/v1/users/me` back to back while `curl` (in processes of its own) makes 20 uploads,
 *    two at a time, and keeps the worst latency, against its worst latency with no uploads.
 *    Target: <= 20 ms.
 *
 * Vestibule runs in its own process (see `startVestibule`); the numbers are printed as a table.
 */
import { decode, Image } from "imagescript";
import { BenchError, cleanup, cleanups, registerMember, startVestibule } from "./bench.ts";

const UPLOADS = 20;
const BARE_RUNS = 10;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function testJpeg(): Promise<Uint8Array<ArrayBuffer>> {
  const image = new Image(2000, 2000);
  image.fill((x, y) => Image.rgbaToColor(x % 256, y % 256, (x + y) % 256, 255));
  return new Uint8Array(await image.encodeJPEG(90));
}

/** imagescript alone: what the worker does, minus everything around it. */
async function bareProcessing(jpeg: Uint8Array): Promise<number[]> {
  const times = [];
  for (let i = 0; i < BARE_RUNS; i++) {
    const started = performance.now();
    const image = await decode(jpeg) as Image;
    image.resize(400, 400);
    await image.encodeJPEG(85);
    times.push(performance.now() - started);
  }
  return times;
}

async function upload(base: string, token: string, jpeg: Uint8Array<ArrayBuffer>): Promise<number> {
  const form = new FormData();
  form.set("file", new Blob([jpeg], { type: "image/jpeg" }), "bench.jpg");
  const started = performance.now();
  const response = await fetch(`${base}/api/v1/users/me/profile-picture`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const body = await response.text();
  if (response.status !== 200) throw new BenchError(`upload answered ${response.status}: ${body}`);
  return performance.now() - started;
}

/**
 * The same upload by `curl` in its own process, so building and sending the multipart body does
 * not stall this process's event loop while it measures the service's latency.
 */
async function curlUpload(base: string, token: string, file: string): Promise<void> {
  const { code, stdout } = await new Deno.Command("curl", {
    args: [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-H",
      `Authorization: Bearer ${token}`,
      "-F",
      `file=@${file};type=image/jpeg`,
      `${base}/api/v1/users/me/profile-picture`,
    ],
    stdout: "piped",
  }).output();
  const status = new TextDecoder().decode(stdout);
  if (code !== 0 || status !== "200") throw new BenchError(`curl upload answered ${status}`);
}

/** Sends GET /users/me back to back until `until` settles; returns every latency. */
async function probe(base: string, token: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  until.finally(() => (done = true));
  const latencies = [];
  while (!done) {
    const started = performance.now();
    const response = await fetch(`${base}/api/v1/users/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.body?.cancel();
    latencies.push(performance.now() - started);
  }
  return latencies;
}

async function main(): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "vestibule-upload-bench-" });
  cleanups.push(() => Deno.remove(dataDir, { recursive: true }));
  const service = await startVestibule(dataDir);
  const token = await registerMember(service.url, `upload-${crypto.randomUUID()}@example.com`);
  const jpeg = await testJpeg();

  console.error("uploads: warming up the worker pool");
  await upload(service.url, token, jpeg);
  await upload(service.url, token, jpeg);

  console.error("uploads: imagescript alone, then uploads one at a time");
  const bare = await bareProcessing(jpeg);
  const sequential = [];
  for (let i = 0; i < UPLOADS; i++) sequential.push(await upload(service.url, token, jpeg));

  console.error("uploads: GET /users/me latency, idle and during 20 uploads two at a time");
  const idle = await probe(service.url, token, new Promise((resolve) => setTimeout(resolve, 3000)));
  const file = `${dataDir}/bench.jpg`;
  await Deno.writeFile(file, jpeg);
  const loaded = probe(
    service.url,
    token,
    (async () => {
      for (let i = 0; i < UPLOADS; i += 2) {
        await Promise.all([
          curlUpload(service.url, token, file),
          curlUpload(service.url, token, file),
        ]);
      }
    })(),
  );
  const during = await loaded;

  const bareP50 = percentile(bare, 50);
  const uploadP50 = percentile(sequential, 50);
  const idleMax = Math.max(...idle);
  const duringMax = Math.max(...during);
  const rows = [
    [
      "imagescript decode+resize+encode, 2000x2000 JPEG (p50)",
      `${bareP50.toFixed(0)} ms`,
      "1.00",
      "",
    ],
    [
      "POST /users/me/profile-picture, same file (p50)",
      `${uploadP50.toFixed(0)} ms`,
      `${(uploadP50 / bareP50).toFixed(2)} x bare`,
      `<= 1.3 ${uploadP50 / bareP50 <= 1.3 ? "ok" : "MISSED"}`,
    ],
    [
      "GET /users/me worst latency, idle",
      `${idleMax.toFixed(1)} ms`,
      `${idle.length} requests`,
      "",
    ],
    [
      "GET /users/me worst latency, during 20 uploads",
      `${duringMax.toFixed(1)} ms`,
      `${during.length} requests, p99 ${percentile(during, 99).toFixed(1)} ms`,
      `<= 20 ms ${duringMax <= 20 ? "ok" : "MISSED"}`,
    ],
  ];
  console.log("\n| Upload measurement | Time | Ratio / count | Target |\n|---|---:|---:|---|");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

if (import.meta.main) {
  let code = 0;
  try {
    await main();
  } catch (error) {
    console.error(error instanceof BenchError ? `bench failed: ${error.message}` : error);
    code = 1;
  } finally {
    await cleanup();
  }
  Deno.exit(code);
}
