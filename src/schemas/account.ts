import { z } from "zod";
import { DELETION_PHRASE } from "../services/account_deletion.ts";
import { profileOutput } from "./auth.ts";
import { timestamp } from "./common.ts";

export const deleteAccountInput = z.strictObject({
  password: z.string().min(1, "password is required").max(1024, "Invalid password").optional()
    .meta({
      description: "Required unless your account has no password (then a sign-in within the " +
        "last 10 minutes stands in for it)",
    }),
  confirmation: z.string().refine(
    (value) => value === DELETION_PHRASE,
    `confirmation must be exactly "${DELETION_PHRASE}"`,
  ).meta({ const: DELETION_PHRASE, example: DELETION_PHRASE }),
});

export const deletionScheduledOutput = z.object({
  message: z.string(),
  deletion_date: timestamp,
}).meta({ id: "DeletionScheduled" });

export const cancelDeletionInput = z.strictObject({
  token: z.string().min(1, "Invalid cancellation token").max(256, "Invalid cancellation token"),
});

export const revertEmailChangeInput = z.strictObject({
  token: z.string().min(1, "Invalid or expired link").max(256, "Invalid or expired link"),
});

export const emailChangeRevertedOutput = z.object({
  message: z.string(),
  email: z.string().meta({ description: "The restored address", example: "user@example.com" }),
}).meta({ id: "EmailChangeReverted" });

export const accountExportOutput = z.object({
  exported_at: timestamp,
  profile: profileOutput.extend({ profile_picture_url: z.string().nullable() }),
  records: z.record(z.string(), z.array(z.record(z.string(), z.unknown())))
    .meta({ description: "Every row that belongs to you, by table, secrets left out" }),
}).meta({ id: "AccountExport" });
