import { type Selectable, sql } from "kysely";
import type { Db, JobsTable, JobStatus } from "./database.ts";

/** A job as stored. */
export type JobRow = Selectable<JobsTable>;

/** Inserts a job. */
export async function insertJob(db: Db, job: JobRow): Promise<void> {
  await db.insertInto("jobs").values(job).execute();
}

/** The job with this id, or `undefined`. */
export async function findJob(db: Db, id: string): Promise<JobRow | undefined> {
  return await db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
}

/**
 * Applies `changes` to one job and returns it as it now stands, or `undefined` when there is no
 * such job. As the first statement of a transaction it takes the write lock before any read.
 */
export async function updateJob(
  db: Db,
  id: string,
  changes: Partial<Omit<JobRow, "id" | "user_id">>,
): Promise<JobRow | undefined> {
  return await db.updateTable("jobs").set(changes).where("id", "=", id).returningAll()
    .executeTakeFirst();
}

/** A page of the member's jobs, newest first (insertion order breaks ties). */
export async function listJobs(
  db: Db,
  userId: string,
  status: JobStatus | null,
  limit: number,
  offset: number,
): Promise<JobRow[]> {
  let query = db.selectFrom("jobs").selectAll().where("user_id", "=", userId);
  if (status !== null) query = query.where("status", "=", status);
  return await query.orderBy("created_at", "desc").orderBy(sql`rowid`, "desc")
    .limit(limit).offset(offset).execute();
}

/** How many jobs the member has in each status. */
export async function countJobsByStatus(
  db: Db,
  userId: string,
): Promise<Partial<Record<JobStatus, number>>> {
  const rows = await db.selectFrom("jobs")
    .select((eb) => ["status", eb.fn.countAll<number>().as("n")])
    .where("user_id", "=", userId)
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}
