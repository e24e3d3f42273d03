import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";

/** A stored file as the sweep sees it. */
export interface StoredFile {
  /** Path below the upload root, with `/` separators: `profiles/<user>/<name>.jpg`. */
  key: string;
  size: number;
  modifiedAt: Date;
}

/** The URL path an upload is served at. */
export function uploadUrl(key: string): string {
  return `/uploads/${key}`;
}

/** The key of an upload URL (`/uploads/profiles/…`), or `null` for any other string. */
export function keyFromUrl(url: string): string | null {
  return url.startsWith("/uploads/") ? url.slice("/uploads/".length) : null;
}

/**
 * The upload directory behind a small interface. Keys are relative paths with `/`; a key that
 * would leave the directory (`..`, absolute paths, NUL, backslashes) resolves to nothing.
 */
export class UploadStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The absolute path of `key` inside the root, or `null` when the key is unsafe. */
  resolve(key: string): string | null {
    if (
      key === "" || /[\0\\]/.test(key) ||
      key.split("/").some((part) => part === ".." || part === ".")
    ) {
      return null;
    }
    const path = resolve(this.root, key);
    return path.startsWith(this.root + sep) ? path : null;
  }

  /**
   * Writes `bytes` under `key` atomically: to a temporary name first, then renamed into place, so
   * a reader never sees half a file.
   */
  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.#require(key);
    const dir = path.slice(0, path.lastIndexOf(sep));
    await mkdir(dir, { recursive: true });
    const temporary = join(dir, `.tmp-${crypto.randomUUID()}`);
    await writeFile(temporary, bytes, { mode: 0o644 });
    try {
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** Deletes `key` if it exists, and its folder once empty. */
  async remove(key: string): Promise<void> {
    const path = this.#require(key);
    await rm(path, { force: true });
    await rmdir(path.slice(0, path.lastIndexOf(sep))).catch(() => {}); // only succeeds when empty
  }

  /** Deletes a whole folder below the root (a member's), if it exists. */
  async removeFolder(key: string): Promise<void> {
    await rm(this.#require(key), { recursive: true, force: true });
  }

  /** Every file below `prefix` (temporary ones included), recursively. */
  async list(prefix: string): Promise<StoredFile[]> {
    const base = this.#require(prefix);
    const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch((error) => {
      if (error.code === "ENOENT") return [];
      throw error;
    });
    const files: StoredFile[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const info = await stat(path).catch(() => null);
      if (info === null) continue;
      files.push({
        key: path.slice(this.root.length + 1).split(sep).join("/"),
        size: info.size,
        modifiedAt: info.mtime,
      });
    }
    return files;
  }

  #require(key: string): string {
    const path = this.resolve(key);
    if (path === null) throw new Error(`unsafe upload key: ${key}`);
    return path;
  }
}
