import { z } from "zod";
import { nameInput } from "./auth.ts";
import { timestamp, untrimmedPattern } from "./common.ts";

/**
 * `+`, a country code's first digit (1-9), then 6 to 14 more digits, each optionally preceded by
 * spaces, dots, dashes or parentheses: 7 to 15 digits in all, the length E.164 allows. One
 * pattern, so the document can state the very rule the server applies.
 */
export const PHONE_PATTERN = /^\+[1-9](?:[ ().-]*[0-9]){6,14}[ ().-]*$/;

/**
 * A phone number in international form as typed: `+`, country code, digits, with optional spaces,
 * dots, dashes and parentheses. A national number without `+` is refused rather than guessed at.
 */
const phoneInput = z.string().trim()
  .regex(PHONE_PATTERN, "Invalid phone number format")
  .meta({
    pattern: untrimmedPattern(PHONE_PATTERN),
    example: "+1 555 123 4567",
    description: "7 to 15 digits after `+`; stored in E.164 form, e.g. +15551234567",
  });

export const updateProfileInput = z.strictObject({
  name: nameInput.optional(),
  phone: phoneInput.nullable().optional().meta({ description: "`null` clears the phone number" }),
});

export const sessionOutput = z.object({
  id: z.uuid(),
  user_agent: z.string().nullable(),
  ip_address: z.string().nullable(),
  created_at: timestamp,
  last_used_at: timestamp,
  expires_at: timestamp,
  current: z.boolean().meta({ description: "True for the session making this request" }),
}).meta({ id: "Session" });

export const sessionsOutput = z.object({ sessions: z.array(sessionOutput) });

// Any string: an id that is not a session is simply not found (404), whatever its shape.
export const sessionIdInput = z.strictObject({ id: z.string().max(100) });

export const logoutAllOutput = z.object({ message: z.string(), revoked: z.number().int() });
