import { z } from "zod";
import { timestamp } from "./common.ts";
import { jobStatus } from "./jobs.ts";
import { pageQuery, paginationOutput } from "./pagination.ts";

export const transactionTypes = ["grant", "debit", "refund", "expire"] as const;

/** A date (`2026-11-23`, the whole UTC day) or an ISO 8601 date-time, as a query value. */
const dateBound = (field: string) =>
  z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: `${field} must be a date (YYYY-MM-DD) or an ISO 8601 date-time`,
  }).optional();

export const transactionsQuery = z.strictObject({
  ...pageQuery,
  type: z.enum([...transactionTypes, "all"], {
    error: "type must be one of grant, debit, refund, expire, all",
  }).default("all"),
  start_date: dateBound("start_date")
    .meta({ description: "From this date (its first instant) or date-time, inclusive" }),
  end_date: dateBound("end_date")
    .meta({ description: "Up to this date (its last instant) or date-time, inclusive" }),
}).prefault({});

/** A whole number of credits. */
const credits = (field: string) =>
  z.number()
    .int(`${field} must be a whole number of credits`)
    .positive(`${field} must be at least 1`)
    .max(1_000_000_000, `${field} must be at most 1000000000`);

export const grantCreditsInput = z.strictObject({
  id: z.string().max(100, "id must be at most 100 characters").meta({
    description: "The member's id",
  }),
  amount: credits("amount"),
  source: z.string().trim().min(1, "source is required")
    .max(50, "source must be at most 50 characters")
    .meta({
      description: "Where the credits come from: purchase, promo, bonus, …",
      example: "promo",
    }),
  expires_at: z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: "expires_at must be an ISO 8601 date-time or date",
  }).nullable().optional()
    .meta({
      description: "When the lot expires (a date means its first instant, UTC); never when absent",
    }),
  description: z.string().trim().max(500, "description must be at most 500 characters").optional(),
});

export const lotStatus = z.enum(["active", "expired", "exhausted"]);

export const lotOutput = z.object({
  id: z.uuid(),
  source: z.string(),
  description: z.string().nullable(),
  granted: z.number().int(),
  remaining: z.number().int()
    .meta({ description: "What can still be spent; 0 once the lot is past its date" }),
  expired: z.number().int().meta({ description: "What expired unspent" }),
  expires_at: timestamp.nullable(),
  status: lotStatus.meta({
    description:
      "`expired` once past its date with credits unspent, `exhausted` once all spent, else `active`",
  }),
  created_at: timestamp,
}).meta({ id: "CreditLot" });

export const creditsOutput = z.object({
  balance: z.number().int().meta({ description: "Spendable credits now" }),
  lots: z.array(lotOutput).meta({ description: "Every lot, newest first" }),
  expiring_soon: z.object({
    days: z.number().int(),
    amount: z.number().int().meta({ description: "Credits that expire within `days`" }),
    lots: z.array(z.object({ id: z.uuid(), amount: z.number().int(), expires_at: timestamp })),
  }),
}).meta({ id: "Credits" });

export const transactionOutput = z.object({
  id: z.number().int(),
  type: z.enum(transactionTypes),
  description: z.string(),
  amount: z.number().int().meta({ description: "Signed: positive adds credits" }),
  balance_after: z.number().int(),
  date: timestamp,
  job: z.object({ id: z.uuid(), kind: z.string(), status: jobStatus }).nullable()
    .meta({ description: "The job a debit or refund belongs to" }),
}).meta({ id: "CreditTransaction" });

export const transactionsOutput = z.object({
  transactions: z.array(transactionOutput),
  pagination: paginationOutput,
});

export const statsOutput = z.object({
  credits: z.object({
    balance: z.number().int(),
    granted: z.number().int(),
    spent: z.number().int().meta({ description: "Charged for jobs, refunds not deducted" }),
    refunded: z.number().int(),
    expired: z.number().int(),
  }),
  jobs: z.object({
    total: z.number().int(),
    queued: z.number().int(),
    running: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
  }),
  sessions: z.object({ active: z.number().int() }),
  storage: z.object({ bytes: z.number().int().meta({ description: "Size of your files" }) }),
  member_since: timestamp,
}).meta({ id: "UsageStats" });
