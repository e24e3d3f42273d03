import { z } from "zod";

/**
 * Messages for a person, naming the field, for the failures zod words generically. Schemas that
 * carry a contract message (`Name must be at least 2 characters`) keep theirs.
 */
z.config({
  customError: (issue) => {
    const field = issue.path?.length ? issue.path.join(".") : "body";
    if (issue.code === "invalid_type") {
      if (issue.input === undefined) return `${field} is required`;
      return `${field} must be ${
        issue.expected === "object" ? "an object" : `a ${issue.expected}`
      }`;
    }
    if (issue.code === "unrecognized_keys") return `Unknown field: ${issue.keys.join(", ")}`;
    return undefined;
  },
});

/** A timestamp in the API: ISO 8601, UTC. */
export const timestamp = z.iso.datetime();

/** The body of answers that only confirm something happened. */
export const messageOutput = z.object({ message: z.string() });

/**
 * The pattern a value checked after `.trim()` must match, as the document states it for the value
 * as sent: the same pattern with optional surrounding white space. JSON Schema patterns are
 * ECMA-262, whose `\s` is exactly the set `String.prototype.trim` removes.
 */
export function untrimmedPattern(pattern: RegExp): string {
  return `^\\s*(?:${pattern.source.replace(/^\^/, "").replace(/\$$/, "")})\\s*$`;
}

/** The address rule the server applies (zod's practical email pattern), after trimming. */
export const EMAIL_PATTERN = z.regexes.email;

/** An email address as typed: trimmed and lower-cased before it is checked. */
export const emailInput = z.string().trim().toLowerCase().max(254, "Email is too long")
  .pipe(z.email({ pattern: EMAIL_PATTERN, error: "Invalid email address" }))
  .meta({
    format: "email",
    pattern: untrimmedPattern(EMAIL_PATTERN),
    description: "At most 254 characters; surrounding spaces are trimmed, letters lower-cased",
    example: "user@example.com",
  });
