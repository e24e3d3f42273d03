import { workerPool } from "../worker_pool.ts";
import type { PasswordRequest, PasswordResponse } from "./password_worker.ts";
import { isCommonPassword } from "./common_passwords.ts";

/** Passwords shorter or longer than this are refused; 128 bounds the Argon2 input. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * What `users.password_hash` holds for a member who signed up through an OpenID provider and never
 * set a password. It is not a PHC string, so no verification can succeed against it (the hasher
 * refuses malformed hashes), and every password check asks `hasPassword` first anyway.
 */
export const NO_PASSWORD = "!no-password";

/** Whether a stored hash is a real password (not the `NO_PASSWORD` sentinel). */
export function hasPassword(passwordHash: string): boolean {
  return passwordHash !== NO_PASSWORD;
}

/**
 * Whether a new password meets the rules: 8 to 128 characters and not on the common-password
 * list. `secure123` is accepted.
 */
export function meetsPasswordRequirements(password: string): boolean {
  return password.length >= PASSWORD_MIN_LENGTH && password.length <= PASSWORD_MAX_LENGTH &&
    !isCommonPassword(password);
}

/** Hashes and verifies passwords; injected so the cost can be measured and swapped. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * Spends the time of one verification without a stored hash, so an unknown email costs what a
   * wrong password costs (no account enumeration by timing).
   */
  verifyNothing(password: string): Promise<void>;
  /** Stops any threads it started. */
  close(): void;
}

/**
 * Argon2id with OWASP's parameters (m=19456 KiB, t=2, p=1), as `oslo/password` computes it, on a
 * pool of `concurrency` Workers (one per core by default) whose threads run at the lowest CPU
 * priority. Sign-ins then use every core the event loop leaves idle, yet never delay it: with
 * logins saturating both cores, other requests wait for no hash. More Workers than cores would
 * add no throughput. See `password_worker.ts`.
 */
export function argon2idHasher(concurrency = navigator.hardwareConcurrency ?? 2): PasswordHasher {
  const pool = workerPool<PasswordRequest, PasswordResponse>({
    url: new URL("./password_worker.ts", import.meta.url),
    size: concurrency,
    crashError: () => new Error("password worker crashed"),
    sharedMemory: true,
  });
  let decoy: Promise<string> | undefined;
  const hash = async (password: string) => {
    const response = await pool.run({ op: "hash", password });
    if (!response.ok || typeof response.result !== "string") throw new Error("hashing failed");
    return response.result;
  };
  // A malformed stored hash, or a crashed worker, never lets anyone in.
  const verify = async (hash: string, password: string) => {
    const response = await pool.run({ op: "verify", hash, password }).catch(() => undefined);
    return response?.ok === true && response.result === true;
  };
  return {
    hash,
    verify,
    verifyNothing: async (password) => {
      decoy ??= hash(crypto.randomUUID());
      await verify(await decoy, password);
    },
    close: () => pool.close(),
  };
}
