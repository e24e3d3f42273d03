import { grantCreditsInput, lotOutput } from "../../schemas/credits.ts";
import { createJobInput, jobOutput, updateJobInput } from "../../schemas/jobs.ts";
import { grantCredits } from "../../services/credits.ts";
import { createJob, updateJobStatus } from "../../services/jobs.ts";
import { adminProcedure, router } from "../init.ts";

const tags = ["admin"];

/** What the product's back end calls, with an admin's token, to grant credits and run jobs. */
export const adminRouter = router({
  grantCredits: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/users/{id}/credits",
        tags,
        summary: "Grant credits to a member",
        description:
          "Adds a lot of whole credits, optionally expiring; recorded as a `grant` transaction.",
      },
      errors: ["USER_NOT_FOUND"],
      successStatus: 201,
    })
    .input(grantCreditsInput)
    .output(lotOutput)
    .mutation(({ ctx, input: { id, ...grant } }) =>
      grantCredits(ctx.deps, ctx.auth, id, grant, ctx.meta)
    ),

  createJob: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/users/{id}/jobs",
        tags,
        summary: "Create a job and charge it",
        description:
          "Creates a queued job and debits its cost from the member's lots that expire soonest.",
      },
      errors: ["USER_NOT_FOUND", "INSUFFICIENT_CREDITS"],
      successStatus: 201,
    })
    .input(createJobInput)
    .output(jobOutput)
    .mutation(({ ctx, input: { id, ...job } }) => createJob(ctx.deps, ctx.auth, id, job, ctx.meta)),

  updateJob: adminProcedure
    .meta({
      openapi: {
        method: "PATCH",
        path: "/admin/jobs/{id}",
        tags,
        summary: "Change a job's status",
        description:
          "queued → running → succeeded | failed (queued → failed too). `failed` refunds the " +
          "charge to the lots it came from, once.",
      },
      errors: ["JOB_NOT_FOUND", "INVALID_JOB_TRANSITION"],
    })
    .input(updateJobInput)
    .output(jobOutput)
    .mutation(({ ctx, input: { id, ...change } }) =>
      updateJobStatus(ctx.deps, ctx.auth, id, change, ctx.meta)
    ),
});
