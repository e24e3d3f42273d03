/** The image types Vestibule accepts, recognised by their first bytes. */
export type ImageType = "jpeg" | "png" | "webp";

/** What the header says before anything is decoded. */
export interface ImageHeader {
  type: ImageType;
  width: number;
  height: number;
  /** EXIF orientation (1 to 8) of a JPEG; 1 when absent. */
  orientation: number;
}

/** The type by content (magic bytes), never by name or declared type; `null` when none of ours. */
export function sniffType(bytes: Uint8Array): ImageType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return "jpeg";
  }
  if (
    bytes.length >= 8 &&
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => bytes[i] === b)
  ) return "png";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") {
    return "webp";
  }
  return null;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

/**
 * Reads type, dimensions and orientation from the header alone, so a small file that would decode
 * to a huge bitmap (a decompression bomb) is refused without decoding. `null` when the header
 * cannot be read.
 */
export function readHeader(bytes: Uint8Array): ImageHeader | null {
  const type = sniffType(bytes);
  if (type === "png") return pngHeader(bytes);
  if (type === "jpeg") return jpegHeader(bytes);
  if (type === "webp") return webpHeader(bytes);
  return null;
}

function pngHeader(b: Uint8Array): ImageHeader | null {
  if (b.length < 24 || ascii(b, 12, 4) !== "IHDR") return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { type: "png", width: view.getUint32(16), height: view.getUint32(20), orientation: 1 };
}

function jpegHeader(b: Uint8Array): ImageHeader | null {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let orientation = 1;
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    const length = view.getUint16(at + 2);
    if (length < 2 || at + 2 + length > b.length) return null;
    if (marker === 0xe1) {
      orientation = exifOrientation(b.subarray(at + 4, at + 2 + length)) ?? orientation;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 &&
      marker !== 0xcc;
    if (isFrame) {
      if (length < 7) return null;
      return {
        type: "jpeg",
        height: view.getUint16(at + 5),
        width: view.getUint16(at + 7),
        orientation,
      };
    }
    if (marker === 0xda || marker === 0xd9) return null; // image data before any frame header
    at += 2 + length;
  }
  return null;
}

/** The orientation tag (0x0112) of an APP1 Exif segment. */
function exifOrientation(segment: Uint8Array): number | null {
  if (segment.length < 14 || ascii(segment, 0, 6) !== "Exif\0\0") return null;
  const tiff = segment.subarray(6);
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = ascii(tiff, 0, 2);
  if (order !== "II" && order !== "MM") return null;
  const little = order === "II";
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return null;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return null;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return null;
}

function webpHeader(b: Uint8Array): ImageHeader | null {
  if (b.length < 30) return null;
  const chunk = ascii(b, 12, 4);
  if (chunk === "VP8 ") {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
    return {
      type: "webp",
      width: (b[26] | (b[27] << 8)) & 0x3fff,
      height: (b[28] | (b[29] << 8)) & 0x3fff,
      orientation: 1,
    };
  }
  if (chunk === "VP8L") {
    if (b[20] !== 0x2f) return null;
    return {
      type: "webp",
      width: 1 + (((b[22] & 0x3f) << 8) | b[21]),
      height: 1 + (((b[24] & 0x0f) << 10) | (b[23] << 2) | ((b[22] & 0xc0) >> 6)),
      orientation: 1,
    };
  }
  if (chunk === "VP8X") {
    return {
      type: "webp",
      width: 1 + (b[24] | (b[25] << 8) | (b[26] << 16)),
      height: 1 + (b[27] | (b[28] << 8) | (b[29] << 16)),
      orientation: 1,
    };
  }
  return null;
}
