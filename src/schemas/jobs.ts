import { z } from "zod";
import { timestamp } from "./common.ts";
import { pageQuery, paginationOutput } from "./pagination.ts";

export const jobStatuses = ["queued", "running", "succeeded", "failed"] as const;
export const jobStatus = z.enum(jobStatuses);

export const jobOutput = z.object({
  id: z.uuid(),
  user_id: z.uuid(),
  kind: z.string(),
  status: jobStatus,
  credits_cost: z.number().int(),
  description: z.string().nullable(),
  error: z.string().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  started_at: timestamp.nullable(),
  finished_at: timestamp.nullable(),
  refunded_at: timestamp.nullable().meta({ description: "When a failure refunded the charge" }),
}).meta({ id: "Job" });

export const jobsQuery = z.strictObject({
  ...pageQuery,
  status: z.enum([...jobStatuses, "all"], {
    error: "status must be one of queued, running, succeeded, failed, all",
  }).default("all"),
}).prefault({});

export const jobsOutput = z.object({ jobs: z.array(jobOutput), pagination: paginationOutput });

export const createJobInput = z.strictObject({
  id: z.string().max(100, "id must be at most 100 characters").meta({
    description: "The member's id",
  }),
  kind: z.string().trim().min(1, "kind is required").max(100, "kind must be at most 100 characters")
    .meta({ example: "render" }),
  credits_cost: z.number()
    .int("credits_cost must be a whole number of credits")
    .positive("credits_cost must be at least 1")
    .max(1_000_000_000, "credits_cost must be at most 1000000000"),
  description: z.string().trim().max(500, "description must be at most 500 characters").optional(),
});

export const updateJobInput = z.strictObject({
  id: z.string().max(100, "id must be at most 100 characters").meta({
    description: "The job's id",
  }),
  status: z.enum(["running", "succeeded", "failed"], {
    error: "status must be one of running, succeeded, failed",
  }),
  error: z.string().max(2000, "error must be at most 2000 characters").optional()
    .meta({ description: "Why the job failed; only with `status: failed`" }),
});
