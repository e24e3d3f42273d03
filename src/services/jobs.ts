import { writeTransaction } from "../data/transactions.ts";
import type { JobStatus } from "../data/database.ts";
import { countJobsByStatus, insertJob, type JobRow, listJobs, updateJob } from "../data/jobs.ts";
import type { Deps } from "../deps.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { commitChange } from "./change.ts";
import { DomainError } from "./errors.ts";
import { debitLots, expireDueLots, lockAccount, refundDebit } from "./ledger.ts";
import { type Page, pageOf } from "./pagination.ts";
import type { Authenticated } from "./sessions.ts";

/** A job as the API shows it: its row without the links to its ledger rows. */
export type JobView = Omit<JobRow, "debit_transaction_id" | "refund_transaction_id">;

/** Where a job may go from each status: `failed` and `succeeded` are final. */
const transitions: Record<JobStatus, readonly JobStatus[]> = {
  queued: ["running", "failed"],
  running: ["succeeded", "failed"],
  succeeded: [],
  failed: [],
};

function toJobView(job: JobRow): JobView {
  const { debit_transaction_id: _debit, refund_transaction_id: _refund, ...view } = job;
  return view;
}

/**
 * Creates a queued job for a member and charges its cost (an operator's action), in one
 * transaction: the job, the `debit` entry, what it took from each lot (soonest expiry first) and
 * the audit event commit together, or nothing does.
 * @throws {DomainError} `USER_NOT_FOUND`, `INSUFFICIENT_CREDITS` (nothing changes)
 */
export async function createJob(
  deps: Deps,
  operator: Authenticated,
  userId: string,
  input: { kind: string; credits_cost: number; description?: string },
  meta: RequestMeta,
): Promise<JobView> {
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  return await writeTransaction(deps.db, async (trx) => {
    const account = await lockAccount(trx, userId);
    await expireDueLots(trx, account, now);
    const job: JobRow = {
      id: crypto.randomUUID(),
      user_id: userId,
      kind: input.kind,
      status: "queued",
      credits_cost: input.credits_cost,
      description: input.description || null,
      error: null,
      created_at: nowIso,
      updated_at: nowIso,
      started_at: null,
      finished_at: null,
      refunded_at: null,
      debit_transaction_id: null,
      refund_transaction_id: null,
    };
    await insertJob(trx, job);
    // The job links to its debit (debit_transaction_id): the ledger row names no job.
    job.debit_transaction_id = await debitLots(
      trx,
      account,
      input.credits_cost,
      job.description ?? `Job: ${job.kind}`,
      now,
    );
    await updateJob(trx, job.id, { debit_transaction_id: job.debit_transaction_id });
    await audit(trx, "job.created", userId, meta, now, {
      operator_id: operator.userId,
      job_id: job.id,
      kind: job.kind,
      credits_cost: job.credits_cost,
    });
    return toJobView(job);
  });
}

/**
 * Moves a job along `queued → running → succeeded | failed` (`queued → failed` too) and stamps
 * `started_at` / `finished_at`. Failing a job refunds its charge to exactly the lots it came
 * from, in the same transaction, once: `failed` is final and the refund is recorded on the job.
 * @throws {DomainError} `JOB_NOT_FOUND`; `INVALID_JOB_TRANSITION` for any other move (the same
 *   status included); `VALIDATION_ERROR` for an `error` on a status other than `failed`
 */
export async function updateJobStatus(
  deps: Deps,
  operator: Authenticated,
  jobId: string,
  input: { status: "running" | "succeeded" | "failed"; error?: string },
  meta: RequestMeta,
): Promise<JobView> {
  if (input.error !== undefined && input.status !== "failed") {
    throw new DomainError("VALIDATION_ERROR", "error is only allowed with status failed");
  }
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  return await commitChange(deps, async (trx, events) => {
    // A write first (the job's updated_at): the transaction holds the write lock from here on.
    const before = await updateJob(trx, jobId, { updated_at: nowIso });
    if (before === undefined) throw new DomainError("JOB_NOT_FOUND");
    const from = before.status;
    const to = input.status;
    if (!transitions[from].includes(to)) {
      throw new DomainError(
        "INVALID_JOB_TRANSITION",
        from === to ? `Job is already ${from}` : `Cannot move a job from ${from} to ${to}`,
      );
    }
    const changes: Partial<JobRow> = { status: to };
    if (to === "running") changes.started_at = nowIso;
    else changes.finished_at = nowIso;
    if (to === "failed") {
      changes.error = input.error ?? null;
      if (before.debit_transaction_id !== null && before.refunded_at === null) {
        const account = await lockAccount(trx, before.user_id);
        await expireDueLots(trx, account, now);
        changes.refund_transaction_id = await refundDebit(
          trx,
          account,
          before.debit_transaction_id,
          `Refund: ${before.kind} failed`,
          now,
        );
        changes.refunded_at = nowIso;
      }
    }
    const job = (await updateJob(trx, jobId, changes))!;
    await audit(trx, "job.status_changed", job.user_id, meta, now, {
      operator_id: operator.userId,
      job_id: job.id,
      from,
      to,
      refunded: changes.refunded_at !== undefined ? job.credits_cost : 0,
    });
    await events.webhook("job.status_changed", {
      user_id: job.user_id,
      job_id: job.id,
      kind: job.kind,
      from,
      to,
      refunded: changes.refunded_at !== undefined ? job.credits_cost : 0,
    });
    return toJobView(job);
  });
}

/**
 * A page of the member's jobs, newest first, optionally of one status; a page past the end is
 * empty, with the true total.
 */
export async function listMemberJobs(
  deps: Deps,
  userId: string,
  query: { page: number; limit: number; status: JobStatus | "all" },
): Promise<{ jobs: JobView[]; pagination: Page }> {
  const status = query.status === "all" ? null : query.status;
  return await writeTransaction(deps.db, async (trx) => {
    const counts = await countJobsByStatus(trx, userId);
    const total = status === null
      ? Object.values(counts).reduce((sum, n) => sum + n, 0)
      : counts[status] ?? 0;
    const offset = (query.page - 1) * query.limit;
    const rows = offset >= total ? [] : await listJobs(trx, userId, status, query.limit, offset);
    return { jobs: rows.map(toJobView), pagination: pageOf(query.page, query.limit, total) };
  });
}
