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

/** An email address as typed: trimmed and lower-cased before it is checked. */
export const emailInput = z.string().trim().toLowerCase().max(254, "Email is too long")
  .pipe(z.email("Invalid email address"))
  .meta({ format: "email", example: "user@example.com" });
