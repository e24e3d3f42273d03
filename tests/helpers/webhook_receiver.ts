import { Webhook } from "svix";
import type { Clock } from "../../src/clock.ts";

/** One request the receiver accepted (answered 2xx after its signature verified). */
export interface ReceivedEvent {
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  // deno-lint-ignore no-explicit-any
  payload: any;
}

/** How the receiver answers: 2xx, 500, never (until the caller gives up), or not at all. */
export type ReceiverMode = "ok" | "error" | "hang" | "down";

/** A real HTTP receiver on 127.0.0.1 that checks Standard Webhooks signatures with svix. */
export interface WebhookReceiver {
  url: string;
  /** Accepted events, in arrival order. */
  accepted: ReceivedEvent[];
  /** Every request that reached the receiver, whatever it answered (ids only). */
  seen: string[];
  /** Requests whose signature did not verify (answered 400). */
  rejected: number;
  /** Sets the secrets a request may verify under (any one suffices). */
  setSecrets(secrets: string[]): void;
  setMode(mode: ReceiverMode): Promise<void>;
  /** Holds every request (after counting it in `seen`) until `release()`; then answers normally. */
  hold(): void;
  release(): void;
  /** Resolves once `count` requests have reached the receiver. */
  waitForSeen(count: number): Promise<void>;
  /** Resolves once `count` events have been accepted. */
  waitForAccepted(count: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * svix's verifier (svix 1.80.0, pinned: the last release whose verifier is svix's own code; from
 * 1.84 on it wraps `standardwebhooks`, the package Vestibule signs with), with one difference: the five-minute replay window is measured against
 * `clock` (the test's manual clock, the same one the server signs with) instead of the wall
 * clock. The signature check itself is svix's own code.
 */
export function verifierFor(secret: string, clock: Clock): Webhook {
  const webhook = new Webhook(secret);
  Object.assign(webhook, {
    verifyTimestamp(header: string): Date {
      const seconds = Number(header);
      const now = Math.floor(clock.now().getTime() / 1000);
      if (!Number.isInteger(seconds) || Math.abs(now - seconds) > 300) {
        throw new Error("Message timestamp outside the tolerance");
      }
      return new Date(seconds * 1000);
    },
  });
  return webhook;
}

/** Starts a receiver that verifies with `secrets` against `clock`. */
export function startReceiver(clock: Clock, secrets: string[] = []): WebhookReceiver {
  let verifiers = secrets.map((s) => verifierFor(s, clock));
  let mode: ReceiverMode = "ok";
  let release: () => void = () => {};
  let hung = new Promise<void>((resolve) => release = resolve);
  const accepted: ReceivedEvent[] = [];
  const seen: string[] = [];
  const waiters: { check: () => boolean; resolve: () => void }[] = [];
  let rejected = 0;
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  const settle = () => {
    for (const waiter of [...waiters]) {
      if (waiter.check()) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const wait = (check: () => boolean) =>
    check() ? Promise.resolve() : new Promise<void>((resolve) => {
      waiters.push({ check, resolve });
    });

  const handler = async (request: Request): Promise<Response> => {
    const body = await request.text();
    const headers = Object.fromEntries(request.headers);
    seen.push(headers["webhook-id"] ?? "");
    settle();
    if (gate !== null) await gate.promise;
    if (mode === "hang") {
      await hung;
      return new Response("too late", { status: 503 });
    }
    if (mode === "error") return new Response("receiver broken", { status: 500 });
    let payload: unknown;
    for (const verifier of verifiers) {
      try {
        payload = verifier.verify(body, headers);
        break;
      } catch { /* try the next secret */ }
    }
    if (payload === undefined) {
      rejected++;
      return new Response("bad signature", { status: 400 });
    }
    accepted.push({
      id: headers["webhook-id"],
      timestamp: Number(headers["webhook-timestamp"]),
      signature: headers["webhook-signature"],
      body,
      payload,
    });
    settle();
    return new Response("ok " + "x".repeat(5000), { status: 200 });
  };

  let server: Deno.HttpServer<Deno.NetAddr> | null = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    handler,
  );
  const port = server.addr.port;

  async function stop(): Promise<void> {
    release();
    gate?.open();
    await server?.shutdown();
    server = null;
  }

  return {
    url: `http://127.0.0.1:${port}/hooks`,
    accepted,
    seen,
    get rejected() {
      return rejected;
    },
    setSecrets: (next) => {
      verifiers = next.map((s) => verifierFor(s, clock));
    },
    setMode: async (next) => {
      if (mode === "hang" && next !== "hang") {
        release();
        hung = new Promise<void>((resolve) => release = resolve);
      }
      if (next === "down" && server !== null) await stop();
      if (next !== "down" && server === null) {
        server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, handler);
      }
      mode = next;
    },
    hold: () => {
      let open = () => {};
      const promise = new Promise<void>((resolve) => open = resolve);
      gate = { promise, open };
    },
    release: () => {
      gate?.open();
      gate = null;
    },
    waitForSeen: (count) => wait(() => seen.length >= count),
    waitForAccepted: (count) => wait(() => accepted.length >= count),
    close: stop,
  };
}
