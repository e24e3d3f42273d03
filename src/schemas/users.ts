import { z } from "zod";
import { nameInput } from "./auth.ts";
import { timestamp } from "./common.ts";

/** A phone number as typed: digits with optional `+`, spaces, dots, dashes and parentheses. */
const phoneInput = z.string().trim()
  .regex(/^\+?[0-9][0-9 ().-]*$/, "Invalid phone number format")
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

export const sessionIdInput = z.strictObject({ id: z.uuid("Session not found") });

export const logoutAllOutput = z.object({ message: z.string(), revoked: z.number().int() });
