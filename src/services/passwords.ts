import { Argon2id } from "oslo/password";
import { isCommonPassword } from "./common_passwords.ts";

/** Passwords shorter or longer than this are refused; 128 bounds the Argon2 input. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

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
}

/**
 * Argon2id with OWASP's parameters (m=19456 KiB, t=2, p=1), computed natively off the event loop
 * by `@node-rs/argon2` through `oslo/password`. At most `concurrency` computations run at once
 * (one per core by default): more threads than cores add no throughput and starve the event loop
 * that serves everything else.
 */
export function argon2idHasher(concurrency = navigator.hardwareConcurrency ?? 2): PasswordHasher {
  const argon = new Argon2id();
  const limit = semaphore(concurrency);
  let decoy: Promise<string> | undefined;
  const verify = (hash: string, password: string) => limit(() => argon.verify(hash, password));
  return {
    hash: (password) => limit(() => argon.hash(password)),
    verify: async (hash, password) => {
      try {
        return await verify(hash, password);
      } catch {
        return false; // a malformed stored hash never lets anyone in
      }
    },
    verifyNothing: async (password) => {
      decoy ??= limit(() => argon.hash(crypto.randomUUID()));
      await verify(await decoy, password);
    },
  };
}

/** Runs at most `size` of the tasks given to it at once, the rest in arrival order. */
function semaphore(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
