/**
 * Parses a `.env` file: `KEY=VALUE` lines, optionally prefixed with `export `; blank lines and
 * lines starting with `#` are skipped; a value in double quotes may hold `\n`, `\"` and `\\`
 * escapes and a `#`; a value in single quotes is taken literally; an unquoted value ends at ` #`
 * (a comment) and is trimmed. Lines that are not assignments are ignored, as other dotenv
 * readers do.
 *
 * @example
 * parseDotEnv('PORT=8080\nMAIL_FROM="Team <a@b.c>" # sender') // { PORT: "8080", MAIL_FROM: "Team <a@b.c>" }
 */
export function parseDotEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const raw of text.split(/\r\n|\n|\r/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (match === null) continue;
    const [, key, rest] = match;
    values[key] = valueOf(rest);
  }
  return values;
}

function valueOf(rest: string): string {
  if (rest.startsWith('"')) {
    const end = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
    if (end !== null) {
      return end[1].replace(/\\(.)/g, (_, c: string) => c === "n" ? "\n" : c === "t" ? "\t" : c);
    }
  } else if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1);
    if (end > 0) return rest.slice(1, end);
  }
  const comment = rest.search(/\s#/);
  return (comment === -1 ? rest : rest.slice(0, comment)).trim();
}

/**
 * The environment Vestibule reads: the variables of `file` (default `.env` in the working
 * directory) when it exists, overridden by the real environment, which always wins.
 * @throws {Error} when the file exists but cannot be read
 */
export function environment(
  file = ".env",
  real: Record<string, string> = Deno.env.toObject(),
): Record<string, string> {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { ...real };
    throw new Error(`Cannot read ${file}: ${(error as Error).message}`);
  }
  return { ...parseDotEnv(text), ...real };
}
