import { writeTransaction } from "../data/transactions.ts";
import { findUserById, updateUser } from "../data/users.ts";
import type { Deps } from "../deps.ts";
import { ImageTimeout } from "../images/pool.ts";
import { ImageRejected } from "../images/process.ts";
import { keyFromUrl, uploadUrl } from "../storage/uploads.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { DomainError, type ErrorCode } from "./errors.ts";
import type { Authenticated } from "./sessions.ts";

/** The largest picture accepted, in bytes (5 MiB). */
export const MAX_PICTURE_BYTES = 5 * 1024 * 1024;

const rejection: Record<ImageRejected["reason"], ErrorCode> = {
  unsupported_type: "UNSUPPORTED_IMAGE_TYPE",
  too_large_dimensions: "IMAGE_TOO_LARGE",
  undecodable: "IMAGE_UNREADABLE",
};

/** The folder of a member's pictures, below the upload root. */
export function pictureFolder(userId: string): string {
  return `profiles/${userId}`;
}

/**
 * Replaces the member's profile picture. The image is processed in a worker (see
 * `processImage`), written under a new unique name (so no cache shows a stale picture), and the
 * profile points at it in one transaction; the old file is deleted after the commit. A crash
 * between the two leaves a file no row points at, which the `sweep-files` job removes.
 * @throws {DomainError} `NO_FILE`, `FILE_TOO_LARGE`, `UNSUPPORTED_IMAGE_TYPE`, `IMAGE_TOO_LARGE`,
 *   `IMAGE_UNREADABLE`, `IMAGE_TIMEOUT`
 */
export async function setProfilePicture(
  deps: Deps,
  auth: Authenticated,
  file: Uint8Array | null,
  meta: RequestMeta,
): Promise<{ profile_picture: string }> {
  if (file === null || file.byteLength === 0) throw new DomainError("NO_FILE");
  if (file.byteLength > MAX_PICTURE_BYTES) throw new DomainError("FILE_TOO_LARGE");
  let jpeg: Uint8Array;
  try {
    jpeg = await deps.images.process(file);
  } catch (error) {
    if (error instanceof ImageRejected) throw new DomainError(rejection[error.reason]);
    if (error instanceof ImageTimeout) throw new DomainError("IMAGE_TIMEOUT");
    throw error;
  }
  const key = `${pictureFolder(auth.userId)}/${crypto.randomUUID()}.jpg`;
  await deps.uploads.put(key, jpeg);
  const now = deps.clock.now();
  let previous: string | null;
  try {
    previous = await writeTransaction(deps.db, async (trx) => {
      const user = await findUserById(trx, auth.userId);
      await updateUser(trx, auth.userId, {
        profile_picture: uploadUrl(key),
        updated_at: now.toISOString(),
      });
      await audit(trx, "profile_picture.updated", auth.userId, meta, now);
      return user?.profile_picture ?? null;
    });
  } catch (error) {
    await deps.uploads.remove(key);
    throw error;
  }
  await removeQuietly(deps, previous);
  return { profile_picture: uploadUrl(key) };
}

/**
 * Removes the member's profile picture: the profile stops pointing at it in one transaction, then
 * the file is deleted. Removing when there is none succeeds (the outcome is the same).
 */
export async function removeProfilePicture(
  deps: Deps,
  auth: Authenticated,
  meta: RequestMeta,
): Promise<void> {
  const now = deps.clock.now();
  const previous = await writeTransaction(deps.db, async (trx) => {
    const user = await findUserById(trx, auth.userId);
    if (!user?.profile_picture) return null;
    await updateUser(trx, auth.userId, { profile_picture: null, updated_at: now.toISOString() });
    await audit(trx, "profile_picture.removed", auth.userId, meta, now);
    return user.profile_picture;
  });
  await removeQuietly(deps, previous);
}

async function removeQuietly(deps: Deps, url: string | null): Promise<void> {
  const key = url === null ? null : keyFromUrl(url);
  if (key === null) return;
  // After the commit: a failure here leaves an orphan for sweep-files, never a broken profile.
  await deps.uploads.remove(key).catch((error) =>
    deps.log.error({ msg: "old picture not deleted", key, error: String(error) })
  );
}
