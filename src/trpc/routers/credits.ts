import {
  creditsOutput,
  statsOutput,
  transactionsOutput,
  transactionsQuery,
} from "../../schemas/credits.ts";
import { jobsOutput, jobsQuery } from "../../schemas/jobs.ts";
import { getCredits, listTransactions } from "../../services/credits.ts";
import { listMemberJobs } from "../../services/jobs.ts";
import { getUsageStats } from "../../services/usage_stats.ts";
import { protectedProcedure, router } from "../init.ts";

const tags = ["credits"];

/** The member's own credits, history, jobs and usage. */
export const creditsRouter = router({
  credits: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/users/me/credits",
        tags,
        summary: "Your credit balance and lots",
        description:
          "Spendable balance, every lot with its status, and what expires in the next 30 days. " +
          "Lots past their date never count in the balance.",
      },
    })
    .output(creditsOutput)
    .query(({ ctx }) => getCredits(ctx.deps, ctx.auth)),

  transactions: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/users/me/transactions",
        tags,
        summary: "Your credit transactions",
        description:
          "The ledger, newest first (ties broken by id), by page, optionally of one type and " +
          "within a date range (inclusive; a date means the whole UTC day).",
      },
      errors: ["INVALID_DATE_RANGE"],
    })
    .input(transactionsQuery)
    .output(transactionsOutput)
    .query(({ ctx, input }) => listTransactions(ctx.deps, ctx.auth.userId, input)),

  jobs: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/users/me/jobs",
        tags,
        summary: "Your jobs",
        description:
          "Jobs charged to your credits, newest first, by page, optionally of one status.",
      },
    })
    .input(jobsQuery)
    .output(jobsOutput)
    .query(({ ctx, input }) => listMemberJobs(ctx.deps, ctx.auth.userId, input)),

  stats: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/users/me/stats",
        tags,
        summary: "Your usage",
        description:
          "Credits granted, spent, refunded and expired with the balance, jobs by status, " +
          "active sessions, storage used by your files, and when you joined.",
      },
    })
    .output(statsOutput)
    .query(({ ctx }) => getUsageStats(ctx.deps, ctx.auth)),
});
