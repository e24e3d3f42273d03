/// <reference lib="deno.worker" />
import { hashSync, verifySync } from "@node-rs/argon2";
import { lowerThreadPriority } from "../thread_priority.ts";
import { serveRequests } from "../worker_channel.ts";

/** A request to the password worker and its answer. */
export type PasswordRequest =
  | { op: "hash"; password: string }
  | { op: "verify"; hash: string; password: string };
export type PasswordResponse = { ok: true; result: string | boolean } | { ok: false };

// Exactly what `oslo/password`'s Argon2id computes, with the same library: its parameters
// (OWASP's m=19456 KiB, t=2, p=1, 32-byte tag), its NFKC normalisation, the same PHC string
// (tests/services/passwords_test.ts checks both ways). But it runs synchronously on this Worker's
// own thread, whose priority can be lowered; oslo's calls run on the runtime's shared pool.
const options = {
  memoryCost: 19456,
  timeCost: 2,
  outputLen: 32,
  parallelism: 1,
  version: 1, // 0x13
};

/** Hashes or verifies one password; a malformed stored hash is an error, not a crash. */
function computePassword(request: PasswordRequest): PasswordResponse {
  try {
    const password = request.password.normalize("NFKC");
    return request.op === "hash"
      ? { ok: true, result: hashSync(password, options) }
      : { ok: true, result: verifySync(request.hash, password, options) };
  } catch {
    return { ok: false };
  }
}

lowerThreadPriority();
serveRequests(computePassword);
