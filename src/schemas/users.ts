import { z } from "zod";
import { nameInput } from "./auth.ts";
import { timestamp } from "./common.ts";

/**
 * A phone number in international form as typed: `+`, country code, digits, with optional spaces,
 * dots, dashes and parentheses. A national number without `+` is refused rather than guessed at.
 */
const phoneInput = z.string().trim()
  .regex(/^\+[1-9][0-9 ().-]*$/, "Invalid phone number format")
  .refine((value) => {
    const digits = value.replace(/\D/g, "").length;
    return digits >= 7 && digits <= 15;
  }, "Invalid phone number format")
  .meta({ example: "+1 555 123 4567", description: "Stored in E.164 form, e.g. +15551234567" });

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
