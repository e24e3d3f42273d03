import { z } from "zod";
import {
  meetsPasswordRequirements,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from "../services/passwords.ts";
import { emailInput, timestamp } from "./common.ts";

/** A new password: 8 to 128 characters and not a common one. */
export const newPassword = z.string()
  // `abort`: a password of the wrong length is reported once, not again by the refinement.
  .min(PASSWORD_MIN_LENGTH, { error: "Password does not meet requirements", abort: true })
  .max(PASSWORD_MAX_LENGTH, { error: "Password does not meet requirements", abort: true })
  .refine(meetsPasswordRequirements, "Password does not meet requirements")
  .meta({
    description: "8 to 128 characters, not on the common-password list",
    example: "secure123",
  });

/**
 * What a name may hold: letters of any script, combining marks (accents written apart), digits
 * of any script and the plain space. Control characters (NUL included), symbols, punctuation,
 * markup and emoji are refused. The OpenAPI document carries the same pattern (no example beside
 * it: Spectral's validator compiles patterns without the `u` flag, where `\p{L}` is no class, so
 * every example would fail its lint).
 */
export const NAME_PATTERN = /^[\p{L}\p{M}\p{N} ]+$/u;

/** A display name as typed, trimmed: 2 to 100 characters matching `NAME_PATTERN`. */
export const nameInput = z.string().trim()
  .min(2, "Name must be at least 2 characters")
  .max(100, "Name must be at most 100 characters")
  .regex(NAME_PATTERN, "Name may contain only letters, numbers and spaces");

/** A password presented to prove identity: never checked against the rules, only bounded. */
const presentedPassword = z.string().min(1, "password is required").max(1024, "Invalid password");

export const registerInput = z.strictObject({
  email: emailInput,
  password: newPassword,
  name: nameInput.optional(),
  display_name: nameInput.optional().meta({ description: "Alias of `name`" }),
});

export const loginInput = z.strictObject({ email: emailInput, password: presentedPassword });

export const refreshTokenInput = z.strictObject({
  refresh_token: z.string().min(1, "refresh_token is required").max(256, "Invalid refresh token"),
});

export const changePasswordInput = z.strictObject({
  current_password: presentedPassword,
  new_password: newPassword,
});

export const profileOutput = z.object({
  id: z.uuid(),
  email: z.string(),
  email_verified: z.boolean(),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  profile_picture: z.string().nullable(),
  google_id: z.string().nullable(),
  subscription_tier: z.string(),
  status: z.enum(["active", "pending_deletion"]),
  deletion_date: timestamp.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
}).meta({ id: "Profile" });

export const tokenPairOutput = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int().meta({ description: "Seconds until the access token expires" }),
}).meta({ id: "TokenPair" });

export const signedInOutput = tokenPairOutput.extend({
  user: profileOutput,
  deletion_cancelled: z.literal(true).optional()
    .meta({ description: "Present when this sign-in cancelled a pending account deletion" }),
}).meta({ id: "SignedIn" });

/** An emailed token as typed or pasted: bounded, never echoed back. */
const emailedToken = (message: string) => z.string().min(1, message).max(256, message);

export const verifyEmailInput = z.strictObject({
  token: emailedToken("Invalid verification token"),
});

export const forgotPasswordInput = z.strictObject({ email: emailInput });

export const resetPasswordInput = z.strictObject({
  token: emailedToken("Invalid reset token"),
  new_password: newPassword,
});

export const changeEmailInput = z.strictObject({
  new_email: emailInput,
  password: presentedPassword.optional().meta({
    description: "Required unless your account has no password (then a sign-in within the " +
      "last 10 minutes stands in for it)",
  }),
});

export const emailUpdatedOutput = z.object({ message: z.string(), email: z.string() });
