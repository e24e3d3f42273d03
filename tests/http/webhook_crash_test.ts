import assert from "node:assert/strict";
import { systemClock } from "../../src/clock.ts";
import { runCli } from "../../src/cli.ts";
import { startReceiver } from "../helpers/webhook_receiver.ts";

/** A Vestibule process (`src/main.ts`) and the URL it listens on. */
interface Process {
  child: Deno.ChildProcess;
  url: string;
}

async function startVestibule(env: Record<string, string>): Promise<Process> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("../../src/main.ts", import.meta.url).pathname],
    env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { done, value } = await lines.read();
    if (done) throw new Error("Vestibule exited before listening");
    buffered += value;
    const line = buffered.split("\n").find((l) => l.includes('"listening"'));
    if (line !== undefined) {
      // Keep draining its logs so a full pipe never blocks it.
      (async () => {
        while (!(await lines.read().catch(() => ({ done: true }))).done) { /* drain */ }
      })();
      return { child, url: JSON.parse(line).url };
    }
  }
}

/** Rejects when `promise` takes longer than `ms` (a guard, so a broken run fails, not hangs). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

async function post(base: string, path: string, body: unknown, token?: string) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

Deno.test({
  name: "kill -9 between commit and delivery: the event arrives after restart, same webhook-id",
  // The restarted process waits out the killed one's lease (timeout + 5 s) on the real clock.
  // The log-draining readers of the child processes end with them, after the test body.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "vestibule-crash-" });
    const receiver = startReceiver(systemClock);
    const env = {
      DATA_DIR: dataDir,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_REQUESTS: "false",
      WEBHOOK_ALLOW_PRIVATE: "true",
      WEBHOOK_TIMEOUT_MS: "1000",
    };
    let running: Process | null = null;
    try {
      await receiver.setMode("hang");
      running = await startVestibule(env);
      const admin = await post(running.url, "/auth/register", {
        email: "ops@example.com",
        password: "secure123",
      });
      assert.equal(admin.status, 201);
      assert.equal(await runCli(["promote-admin", "ops@example.com"], { DATA_DIR: dataDir }), 0);
      const endpoint = await post(
        running.url,
        "/admin/webhooks",
        { url: receiver.url },
        admin.body.access_token,
      );
      assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
      receiver.setSecrets([endpoint.body.secret]);

      const member = await post(running.url, "/auth/register", {
        email: "member@example.com",
        password: "secure123",
      });
      assert.equal(member.status, 201);
      // Committed and on its way, not yet acknowledged: the receiver holds the request.
      await within(receiver.waitForSeen(1), 30_000, "first attempt");
      running.child.kill("SIGKILL");
      assert.equal((await running.child.status).signal, "SIGKILL");
      running = null;
      await receiver.setMode("ok");
      assert.equal(receiver.accepted.length, 0);

      running = await startVestibule(env);
      await within(receiver.waitForAccepted(1), 60_000, "delivery after restart");
      const [event] = receiver.accepted;
      assert.equal(event.payload.type, "user.created");
      assert.equal(event.payload.data.user_id, member.body.user.id);
      assert.equal(event.id, receiver.seen[0], "the retry carries the same webhook-id");
    } finally {
      if (running !== null) {
        running.child.kill("SIGTERM");
        await running.child.status;
      }
      await receiver.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
