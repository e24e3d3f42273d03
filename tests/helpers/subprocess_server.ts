import { TextLineStream } from "./text_lines.ts";

/** `deno run src/main.ts` as a child process, with its output read line by line. */
export interface ServerProcess {
  child: Deno.ChildProcess;
  /** Every stdout and stderr line so far, in arrival order per stream. */
  stdout: string[];
  stderr: string[];
  /** Resolves with the first stdout line (parsed as JSON) for which `match` is true. */
  line(match: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves when the process has exited and both streams are read. */
  exited: Promise<Deno.CommandStatus>;
}

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/**
 * Deno's own notice when another process holds the `node_modules` lock (tests run in parallel);
 * it is not the program's output, and `--quiet` does not always silence it.
 */
export const DENO_DIAGNOSTIC = /waiting for file lock/;

/**
 * Starts `src/main.ts` in `cwd` (default: a fresh temporary directory, so no `.env` is read) with
 * only `env` and the variables Deno needs.
 */
export function spawnServer(env: Record<string, string>, cwd?: string): ServerProcess {
  const ownCwd = cwd === undefined ? Deno.makeTempDirSync({ prefix: "vestibule-cwd-" }) : undefined;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-all", MAIN],
    cwd: cwd ?? ownCwd,
    clearEnv: true,
    env: { ...denoEnv(), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: {
    match: (e: Record<string, unknown>) => boolean;
    resolve: (e: Record<string, unknown>) => void;
  }[] = [];
  const read = async (stream: ReadableStream<Uint8Array>, into: string[], json: boolean) => {
    for await (
      const line of stream.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream())
    ) {
      if (DENO_DIAGNOSTIC.test(line)) continue;
      into.push(line);
      if (!json) continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      for (const waiter of [...waiters]) {
        if (waiter.match(entry)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(entry);
        }
      }
    }
  };
  const reading = Promise.all([
    read(child.stdout, stdout, true),
    read(child.stderr, stderr, false),
  ]);
  const exited = reading.then(async () => {
    const status = await child.status;
    if (ownCwd !== undefined) await Deno.remove(ownCwd, { recursive: true });
    return status;
  });
  return {
    child,
    stdout,
    stderr,
    line: (match) => {
      for (const line of stdout) {
        try {
          const entry = JSON.parse(line);
          if (match(entry)) return Promise.resolve(entry);
        } catch { /* not JSON */ }
      }
      return Promise.race([
        new Promise<Record<string, unknown>>((resolve) => waiters.push({ match, resolve })),
        exited.then((status) => {
          throw new Error(`server exited (${status.code}) first: ${stderr.join("\n")}`);
        }),
      ]);
    },
    exited,
  };
}

/**
 * What a child Deno needs from this environment and nothing else (so no `.env` setting or
 * variable of the developer's leaks into a test): the path, home and Deno's cache location.
 */
export function denoEnv(): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "DENO_NO_UPDATE_CHECK"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}
