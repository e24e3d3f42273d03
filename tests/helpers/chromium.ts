/**
 * Headless Chromium driven over the DevTools protocol (one WebSocket, flat sessions), for tests
 * that need a real browser: CORS as a browser enforces it, pages rendered under their CSP,
 * screenshots. No npm package: the protocol is a few JSON messages.
 *
 * Chromium is `$CHROMIUM` or `/usr/bin/chromium`. When it is missing, `launchChromium()` throws:
 * a browser test fails rather than passing without a browser (CI installs it in `.ci/run`).
 */

/** Where the browser is, unless `$CHROMIUM` says otherwise. */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";

/** A line the page logged or an exception it threw (CSP violations arrive here). */
export interface ConsoleEntry {
  source: string;
  level: string;
  text: string;
}

/** One tab. */
export interface BrowserPage {
  /** Everything the page logged so far (console, network errors, CSP reports, exceptions). */
  readonly console: ConsoleEntry[];
  /** Navigates and waits for the load event. */
  goto(url: string): Promise<void>;
  /** Evaluates an expression in the page (promises awaited) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /**
   * Evaluates `expression` until it is truthy and returns its value; throws with `what` after
   * `timeoutMs` (a bound on a failure, not a measurement: a passing test never waits for it).
   */
  waitFor<T>(expression: string, what: string, timeoutMs?: number): Promise<T>;
  /** Sets the viewport (`mobile` also turns on the phone's viewport-meta handling). */
  setViewport(width: number, height: number, mobile?: boolean): Promise<void>;
  /** A PNG of the viewport (or the whole page with `fullPage`). */
  screenshot(options?: { fullPage?: boolean }): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A running headless Chromium with a fresh profile. */
export interface Browser {
  newPage(): Promise<BrowserPage>;
  close(): Promise<void>;
}

type Message = {
  id?: number;
  method?: string;
  sessionId?: string;
  // deno-lint-ignore no-explicit-any
  params?: any;
  // deno-lint-ignore no-explicit-any
  result?: any;
  error?: { message: string };
};

/**
 * Starts headless Chromium on a fresh temporary profile with every background service off
 * (no sync, no component updates, no QUIC), and connects to it.
 * @throws {Error} when Chromium is missing or does not start
 */
export async function launchChromium(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM_PATH);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM`,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "vestibule-chromium-" });
  const child = new Deno.Command(CHROMIUM_PATH, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      "--no-proxy-server",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();

  // The DevTools address is the one line of stderr we need; the rest is drained and dropped.
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let endpoint: string | null = null;
  while (endpoint === null) {
    const { value, done } = await lines.read();
    if (done) {
      await child.status;
      throw new Error(`Chromium exited before listening:\n${seen.slice(-2000)}`);
    }
    seen += value;
    endpoint = /DevTools listening on (ws:\/\/\S+)/.exec(seen)?.[1] ?? null;
  }
  const drained = (async () => {
    while (!(await lines.read()).done) { /* discard */ }
  })();

  const socket = new WebSocket(endpoint);
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error(`cannot connect to ${endpoint}`));
  });
  let nextId = 0;
  const pending = new Map<number, { resolve(m: Message): void; reject(e: Error): void }>();
  const listeners = new Set<(message: Message) => void>();
  socket.onmessage = (event) => {
    const message: Message = JSON.parse(event.data);
    if (message.id !== undefined) {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message);
    } else {
      for (const listener of listeners) listener(message);
    }
  };
  socket.onclose = () => {
    for (const waiter of pending.values()) waiter.reject(new Error("DevTools connection closed"));
    pending.clear();
  };

  // deno-lint-ignore no-explicit-any
  async function send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    const id = ++nextId;
    const reply = new Promise<Message>((resolve, reject) => pending.set(id, { resolve, reject }));
    socket.send(JSON.stringify({ id, method, params, sessionId }));
    return (await reply).result;
  }

  async function newPage(): Promise<BrowserPage> {
    const { targetId } = await send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
    const console: ConsoleEntry[] = [];
    let loaded: (() => void) | null = null;
    const listener = (message: Message) => {
      if (message.sessionId !== sessionId) return;
      const p = message.params;
      if (message.method === "Page.loadEventFired") loaded?.();
      if (message.method === "Log.entryAdded") {
        console.push({ source: p.entry.source, level: p.entry.level, text: p.entry.text });
      }
      if (message.method === "Runtime.consoleAPICalled") {
        const text = p.args.map((a: { value?: unknown }) => String(a.value ?? "")).join(" ");
        console.push({ source: "console", level: p.type, text });
      }
      if (message.method === "Runtime.exceptionThrown") {
        const details = p.exceptionDetails;
        console.push({
          source: "exception",
          level: "error",
          text: details.exception?.description ?? details.text,
        });
      }
    };
    listeners.add(listener);
    await send("Page.enable", {}, sessionId);
    await send("Runtime.enable", {}, sessionId);
    await send("Log.enable", {}, sessionId);

    async function evaluate<T>(expression: string): Promise<T> {
      const { result, exceptionDetails } = await send("Runtime.evaluate", {
        expression,
        awaitPromise: true,
        returnByValue: true,
      }, sessionId);
      if (exceptionDetails) {
        throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
      }
      return result.value as T;
    }

    return {
      console,
      async goto(url) {
        const load = new Promise<void>((resolve) => (loaded = resolve));
        const { errorText } = await send("Page.navigate", { url }, sessionId);
        if (errorText) throw new Error(`navigation to ${url} failed: ${errorText}`);
        await load;
      },
      evaluate,
      async waitFor<T>(expression: string, what: string, timeoutMs = 60_000): Promise<T> {
        const deadline = Date.now() + timeoutMs;
        while (true) {
          // A navigation in progress destroys the context mid-evaluation: try again.
          const value = await evaluate<T>(expression).catch(() => undefined);
          if (value) return value;
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      async setViewport(width, height, mobile = false) {
        await send("Emulation.setDeviceMetricsOverride", {
          width,
          height,
          deviceScaleFactor: mobile ? 2 : 1,
          mobile,
        }, sessionId);
      },
      async screenshot(options = {}) {
        const { data } = await send("Page.captureScreenshot", {
          format: "png",
          captureBeyondViewport: options.fullPage ?? false,
        }, sessionId);
        return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      },
      async close() {
        listeners.delete(listener);
        await send("Target.closeTarget", { targetId });
      },
    };
  }

  return {
    newPage,
    async close() {
      await send("Browser.close").catch(() => {});
      socket.close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exited = await Promise.race([
        child.status.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
      ]);
      clearTimeout(timer);
      if (!exited) child.kill("SIGKILL");
      await child.status;
      await drained.catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** The width and height in a PNG's header; throws when `bytes` is not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) {
    throw new Error("not a PNG");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
