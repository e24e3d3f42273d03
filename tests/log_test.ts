import assert from "node:assert/strict";
import { createJsonLogger } from "../src/log.ts";

/** Runs `body` with console.log and console.error captured as parsed JSON lines. */
function captured(
  body: () => void,
): { out: Record<string, unknown>[]; err: Record<string, unknown>[] } {
  const out: Record<string, unknown>[] = [];
  const err: Record<string, unknown>[] = [];
  const { log, error } = console;
  console.log = (line: string) => out.push(JSON.parse(line));
  console.error = (line: string) => err.push(JSON.parse(line));
  try {
    body();
  } finally {
    Object.assign(console, { log, error });
  }
  return { out, err };
}

Deno.test("createJsonLogger() writes one JSON line per entry with an ISO time and its level", () => {
  const { out, err } = captured(() => {
    const log = createJsonLogger("debug");
    log.debug({ msg: "d" });
    log.info({ msg: "i", n: 1 });
    log.error({ msg: "e" });
  });
  assert.deepEqual(out.map((l) => [l.level, l.msg]), [["debug", "d"], ["info", "i"]]);
  assert.deepEqual(err.map((l) => [l.level, l.msg]), [["error", "e"]]);
  for (const line of [...out, ...err]) {
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
});

Deno.test("createJsonLogger() drops the lines below its level (LOG_LEVEL)", () => {
  const atInfo = captured(() => {
    const log = createJsonLogger("info");
    log.debug({ msg: "d" });
    log.info({ msg: "i" });
  });
  assert.deepEqual(atInfo.out.map((l) => l.msg), ["i"]);
  const atError = captured(() => {
    const log = createJsonLogger("error");
    log.info({ msg: "i" });
    log.error({ msg: "e" });
  });
  assert.deepEqual([atError.out.length, atError.err.map((l) => l.msg)], [0, ["e"]]);
});
