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
 * by `@node-rs/argon2` through `oslo/password`.
 */
export function argon2idHasher(): PasswordHasher {
  const argon = new Argon2id();
  let decoy: Promise<string> | undefined;
  return {
    hash: (password) => argon.hash(password),
    verify: async (hash, password) => {
      try {
        return await argon.verify(hash, password);
      } catch {
        return false; // a malformed stored hash never lets anyone in
      }
    },
    verifyNothing: async (password) => {
      decoy ??= argon.hash(crypto.randomUUID());
      await argon.verify(await decoy, password);
    },
  };
}
