/** Where Vestibule writes its JSON log lines; tests pass one that records or discards. */
export interface Logger {
  info(fields: Record<string, unknown>): void;
  error(fields: Record<string, unknown>): void;
}

/** One JSON object per line on stdout (info) or stderr (error). */
export const jsonLogger: Logger = {
  info: (fields) => console.log(JSON.stringify({ level: "info", ...fields })),
  error: (fields) => console.error(JSON.stringify({ level: "error", ...fields })),
};

/** Writes nothing. */
export const silentLogger: Logger = { info: () => {}, error: () => {} };
