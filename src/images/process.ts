import { decode as decodeWebp } from "@jsquash/webp";
import { decode, Image } from "imagescript";
import { readHeader } from "./inspect.ts";

/** Largest width or height accepted, and the box a picture is fitted into. */
export const MAX_DIMENSION = 2000;
export const OUTPUT_SIZE = 400;

/** Why an image was refused; the caller maps each reason to its message. */
export type ImageFailure = "unsupported_type" | "too_large_dimensions" | "undecodable";

/** A refusal from `processImage`. */
export class ImageRejected extends Error {
  constructor(readonly reason: ImageFailure) {
    super(reason);
  }
}

/**
 * Turns an uploaded picture into the stored one: checks the type by content and the dimensions
 * from the header (before any decode), decodes (imagescript; `@jsquash/webp` for WebP), stands a
 * JPEG upright by its EXIF orientation, fits it into 400x400 keeping the aspect ratio (never
 * upscaling) and encodes a JPEG. Re-encoding drops all metadata, GPS included. Bytes in, bytes
 * out, no I/O: it runs in a Worker.
 * @throws {ImageRejected}
 */
export async function processImage(bytes: Uint8Array): Promise<Uint8Array> {
  const header = readHeader(bytes);
  if (header === null) {
    throw new ImageRejected(
      bytes.length >= 3 && sniffed(bytes) ? "undecodable" : "unsupported_type",
    );
  }
  if (header.width < 1 || header.height < 1) throw new ImageRejected("undecodable");
  if (header.width > MAX_DIMENSION || header.height > MAX_DIMENSION) {
    throw new ImageRejected("too_large_dimensions");
  }
  let image: Image;
  try {
    image = header.type === "webp" ? await decodeWebpImage(bytes) : await decodeStill(bytes);
  } catch (error) {
    if (error instanceof ImageRejected) throw error;
    throw new ImageRejected("undecodable");
  }
  if (image.width !== header.width || image.height !== header.height) {
    throw new ImageRejected("undecodable"); // the header lied about what the data holds
  }
  const scale = Math.min(1, OUTPUT_SIZE / image.width, OUTPUT_SIZE / image.height);
  if (scale < 1) {
    image.resize(
      Math.max(1, Math.round(image.width * scale)),
      Math.max(1, Math.round(image.height * scale)),
    );
  }
  return await orient(image, header.orientation).encodeJPEG(85);
}

function sniffed(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xd8) || bytes[0] === 0x89 ||
    String.fromCharCode(...bytes.subarray(0, 4)) === "RIFF";
}

async function decodeStill(bytes: Uint8Array): Promise<Image> {
  const decoded = await decode(bytes, true);
  if (!(decoded instanceof Image)) throw new ImageRejected("undecodable"); // a GIF animation
  return decoded;
}

async function decodeWebpImage(bytes: Uint8Array): Promise<Image> {
  const copy = bytes.slice().buffer;
  const data = await decodeWebp(copy);
  const image = new Image(data.width, data.height);
  image.bitmap.set(data.data);
  return image;
}

/**
 * Applies an EXIF orientation (1 to 8) by remapping pixels: output (x, y) takes its colour from
 * the source pixel the orientation says belongs there.
 */
export function orient(image: Image, orientation: number): Image {
  if (orientation <= 1 || orientation > 8) return image;
  const w = image.width;
  const h = image.height;
  const swap = orientation >= 5;
  const out = new Image(swap ? h : w, swap ? w : h);
  const bitmap = image.bitmap.byteOffset % 4 === 0 ? image.bitmap : image.bitmap.slice();
  const src = new Uint32Array(bitmap.buffer, bitmap.byteOffset, w * h);
  const dst = new Uint32Array(out.bitmap.buffer, out.bitmap.byteOffset, out.width * out.height);
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      let sx: number, sy: number;
      switch (orientation) {
        case 2:
          sx = w - 1 - x;
          sy = y;
          break;
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;
        case 4:
          sx = x;
          sy = h - 1 - y;
          break;
        case 5:
          sx = y;
          sy = x;
          break;
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;
        default:
          sx = w - 1 - y;
          sy = x; // 8
      }
      dst[y * out.width + x] = src[sy * w + sx];
    }
  }
  return out;
}
