import type { Db } from "./database.ts";

/**
 * Claims the run of `job` scheduled for `tick` (ISO 8601): one insert that conflicts on the pair,
 * so of every instance whose scheduler fires for that tick exactly one gets `true` and runs it.
 */
export async function claimJobRun(db: Db, job: string, tick: string, at: string): Promise<boolean> {
  const result = await db.insertInto("job_runs").values({ job, tick, started_at: at })
    .onConflict((oc) => oc.columns(["job", "tick"]).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Deletes the claims of runs scheduled before `before`; returns how many. */
export async function pruneJobRuns(db: Db, before: string): Promise<number> {
  const result = await db.deleteFrom("job_runs").where("tick", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
