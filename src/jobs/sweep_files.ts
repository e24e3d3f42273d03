import { picturesInUse } from "../data/housekeeping.ts";
import type { Deps } from "../deps.ts";
import { keyFromUrl } from "../storage/uploads.ts";
import type { Job } from "./scheduler.ts";

/** A file younger than this is never swept: its upload may still be committing. */
export const SWEEP_SAFETY_AGE_MS = 60 * 60_000;

/**
 * Deletes picture files no profile points at (left by a crash between writing a file and
 * committing, or between committing and deleting the old one), once they are older than the
 * safety age. Files a profile points at are never touched.
 */
export async function sweepFiles(
  deps: Pick<Deps, "db" | "uploads">,
  now: Date,
): Promise<Record<string, number>> {
  const live = new Set((await picturesInUse(deps.db)).map(keyFromUrl));
  const files = await deps.uploads.list("profiles");
  let removed = 0;
  for (const file of files) {
    if (live.has(file.key) || now.getTime() - file.modifiedAt.getTime() < SWEEP_SAFETY_AGE_MS) {
      continue;
    }
    await deps.uploads.remove(file.key);
    removed++;
  }
  return { files_removed: removed, files_kept: files.length - removed };
}

/** Runs `sweepFiles` hourly. */
export const sweepFilesJob: Job = {
  name: "sweep-files",
  schedule: "0 35 * * * *",
  run: (deps) => sweepFiles(deps, deps.clock.now()),
};
