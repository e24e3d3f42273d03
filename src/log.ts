/** How much a Logger writes: `debug` writes everything, `error` only errors. */
export type LogLevel = "debug" | "info" | "error";

/** Where Vestibule writes its JSON log lines; tests pass one that records or discards. */
export interface Logger {
  /** Routine detail an operator rarely wants (a job run that found nothing to do). */
  debug(fields: Record<string, unknown>): void;
  info(fields: Record<string, unknown>): void;
  error(fields: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, error: 2 };
const nothing = () => {};

/**
 * One JSON object per line, each with its ISO `time` and `level`: debug and info on stdout, error
 * on stderr. Lines below `level` are dropped before anything is formatted.
 */
export function createJsonLogger(level: LogLevel = "info"): Logger {
  const line = (lvl: LogLevel, fields: Record<string, unknown>) =>
    JSON.stringify({ time: new Date().toISOString(), level: lvl, ...fields });
  return {
    debug: RANK[level] <= RANK.debug ? (fields) => console.log(line("debug", fields)) : nothing,
    info: RANK[level] <= RANK.info ? (fields) => console.log(line("info", fields)) : nothing,
    error: (fields) => console.error(line("error", fields)),
  };
}

/** The default logger: JSON lines at level `info`. */
export const jsonLogger: Logger = createJsonLogger("info");

/** Writes nothing. */
export const silentLogger: Logger = { debug: nothing, info: nothing, error: nothing };
