import passwords from "@zxcvbn-ts/language-common/src/passwords.json" with { type: "json" };

// zxcvbn-ts's list of the 49,233 most common passwords, by frequency (MIT).
const common: ReadonlySet<string> = new Set((passwords as string[]).map((p) => p.toLowerCase()));

/** Whether `password` (case-insensitively) is on the common-password list. */
export function isCommonPassword(password: string): boolean {
  return common.has(password.toLowerCase());
}
