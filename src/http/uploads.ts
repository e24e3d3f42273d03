import type { UploadStore } from "../storage/uploads.ts";
import { DomainError } from "../services/errors.ts";
import { describeError } from "../trpc/error_body.ts";
import { errorResponse } from "./responses.ts";

const notFound = () => errorResponse(describeError(new DomainError("NOT_FOUND")));

/**
 * Serves `/uploads/…`: only regular `.jpg` files inside the upload directory (a traversal attempt
 * resolves to nothing and is a 404), as `image/jpeg` with `nosniff`, an `ETag`, and long-lived
 * immutable caching: every picture has a new name, so a URL's content never changes.
 */
export async function serveUpload(
  request: Request,
  path: string,
  store: UploadStore,
): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") return notFound();
  let key: string;
  try {
    key = decodeURIComponent(path.slice("/uploads/".length));
  } catch {
    return notFound();
  }
  const file = key.endsWith(".jpg") ? store.resolve(key) : null;
  if (file === null) return notFound();
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(file);
  } catch {
    return notFound();
  }
  if (!info.isFile) return notFound();
  const etag = `"${info.size.toString(16)}-${(info.mtime?.getTime() ?? 0).toString(16)}"`;
  const headers = new Headers({
    "content-type": "image/jpeg",
    "x-content-type-options": "nosniff",
    "cache-control": "public, max-age=31536000, immutable",
    etag,
  });
  if (request.headers.get("if-none-match") === etag) {
    return new Response(null, { status: 304, headers });
  }
  headers.set("content-length", String(info.size));
  if (request.method === "HEAD") return new Response(null, { headers });
  return new Response((await Deno.open(file)).readable, { headers });
}
