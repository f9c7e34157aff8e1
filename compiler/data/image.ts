import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { writeFileAtomic } from "./atomic-write.js";
import { DataError, describeError } from "./errors.js";
import { readFileBytes } from "./files.js";
import { resizeAntialiasPlanar, resizeAntialiasU8, resizeBilinearPlanar } from "./resize.js";

/** A decoded raster image, interleaved HWC (channel fastest). 16-bit values are kept unscaled. */
export interface Image {
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 16;
  data: Uint8Array | Uint16Array;
}

export type ImageFormat = "png" | "jpeg";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** Which image format the bytes are, from their magic number; null when neither PNG nor JPEG. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, PNG_MAGIC)) return "png";
  if (startsWith(bytes, JPEG_MAGIC)) return "jpeg";
  return null;
}

/** Throws unless the image's fields are consistent with each other. */
export function checkImage(image: Image, where: string): void {
  const { width, height, channels, bitDepth, data } = image;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new DataError(`${where}: image size must be positive integers, got ${width}×${height}`);
  }
  if (channels !== 1 && channels !== 3)
    throw new DataError(`${where}: channels must be 1 or 3, got ${channels}`);
  if (bitDepth === 8 && !(data instanceof Uint8Array)) {
    throw new DataError(`${where}: an 8-bit image needs a Uint8Array`);
  }
  if (bitDepth === 16 && !(data instanceof Uint16Array)) {
    throw new DataError(`${where}: a 16-bit image needs a Uint16Array`);
  }
  if (bitDepth !== 8 && bitDepth !== 16)
    throw new DataError(`${where}: bit depth must be 8 or 16, got ${bitDepth}`);
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw new DataError(
      `${where}: ${width}×${height}×${channels} image needs ${expected} samples, has ${data.length}`,
    );
  }
}

function decodePng(bytes: Uint8Array, name: string): Image {
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    // skipRescale keeps 16-bit samples as they are (pngjs would otherwise squash them to 8 bits)
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (error) {
    throw new DataError(`${name}: broken or truncated PNG (${describeError(error)})`);
  }
  const { width, height } = png;
  // pngjs always expands to 4 samples per pixel: Uint16Array for 16-bit files, bytes otherwise
  const rgba = png.data as unknown as Uint8Array | Uint16Array;
  if (rgba.length !== width * height * 4) {
    throw new DataError(`${name}: broken PNG (decoded ${rgba.length} samples for ${width}×${height} pixels)`);
  }
  const channels: 1 | 3 = png.color ? 3 : 1;
  const sixteen = png.depth === 16 && !png.palette;
  const data = sixteen
    ? new Uint16Array(width * height * channels)
    : new Uint8Array(width * height * channels);
  // low bit depth greys (1/2/4 bit) are not rescaled by pngjs with skipRescale: stretch them to 0..255
  const lowDepthScale = !png.palette && png.depth < 8 ? 255 / (2 ** png.depth - 1) : 1;
  const pixels = width * height;
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < channels; c++) {
      const v = rgba[i * 4 + c]!;
      data[i * channels + c] = lowDepthScale === 1 ? v : Math.round(v * lowDepthScale);
    }
  }
  return { width, height, channels, bitDepth: sixteen ? 16 : 8, data };
}

function decodeJpeg(bytes: Uint8Array, name: string): Image {
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    // tolerant decoding would silently return a partly grey image for a truncated file
    decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
  } catch (error) {
    throw new DataError(`${name}: broken or truncated JPEG (${describeError(error)})`);
  }
  const { width, height, data } = decoded;
  if (width <= 0 || height <= 0 || data.length !== width * height * 3) {
    throw new DataError(`${name}: broken JPEG (decoded ${data.length} bytes for ${width}×${height} pixels)`);
  }
  return { width, height, channels: 3, bitDepth: 8, data };
}

/**
 * Decodes PNG or JPEG bytes (format sniffed from the magic number, not the file name).
 * PNG: palette and alpha images become RGB (alpha dropped), grey(+alpha) becomes 1 channel;
 * 16-bit PNGs stay 16-bit with exact values; 1/2/4-bit greys are stretched to 8 bits.
 * JPEG: always 3-channel RGB (jpeg-js expands greyscale JPEGs).
 */
export function decodeImage(bytes: Uint8Array, nameForErrors: string): Image {
  if (bytes.length === 0)
    throw new DataError(`${nameForErrors}: file is empty, expected a PNG or JPEG image`);
  const format = sniffImageFormat(bytes);
  if (format === "png") return decodePng(bytes, nameForErrors);
  if (format === "jpeg") return decodeJpeg(bytes, nameForErrors);
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(" ");
  throw new DataError(`${nameForErrors}: not a PNG or JPEG image (starts with bytes ${head})`);
}

export function readImage(path: string): Image {
  return decodeImage(readFileBytes(path, "image file"), path);
}

/** PNG bytes of an image: grey or RGB, 8 or 16 bit, exactly as stored in the image. */
export function encodePng(image: Image): Uint8Array {
  checkImage(image, "encodePng");
  const colorType = image.channels === 3 ? 2 : 0;
  // pngjs reads 16-bit input through `new Uint16Array(buffer.buffer)`, so it needs an unshared,
  // zero-offset buffer in host byte order
  const data =
    image.bitDepth === 16
      ? Buffer.from(new Uint16Array(image.data).buffer)
      : Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const png = { width: image.width, height: image.height, data, gamma: 0 } as unknown as PNG;
  return PNG.sync.write(png, {
    colorType,
    inputColorType: colorType,
    inputHasAlpha: false,
    bitDepth: image.bitDepth,
  });
}

/** Writes a PNG so that no half-written file is ever visible at `path`. */
export function writePngAtomic(path: string, image: Image): void {
  writeFileAtomic(path, encodePng(image));
}

export interface ToFloatOptions {
  /**
   * "antialias" (default): Pillow `Image.resize(BILINEAR)` semantics. For 8-bit images the resize
   * is done on the 8-bit samples with Pillow's fixed-point filter and the result is divided by 255,
   * which reproduces Python/PIL preprocessing bit for bit (the pydnet-mobile reference inputs were
   * made this way). 16-bit images use the same filter in float.
   * "bilinear": samples normalised first, then plain bilinear with half-pixel centres
   * (align_corners=false, no antialiasing), as OpenCV/PyTorch/TF do.
   */
  resample?: "antialias" | "bilinear";
}

/**
 * The image as the network input: planar RGB (CHW) float32 in [0, 1] at the requested size;
 * a grey image is replicated to three planes. See {@link ToFloatOptions} for the resize filter.
 */
export function toFloatCHW(
  image: Image,
  size: { width: number; height: number },
  options: ToFloatOptions = {},
): Float32Array {
  checkImage(image, "toFloatCHW");
  const resample = options.resample ?? "antialias";
  let source = image;
  if (
    resample === "antialias" &&
    image.bitDepth === 8 &&
    (size.width !== image.width || size.height !== image.height)
  ) {
    const data = resizeAntialiasU8(
      image.data as Uint8Array,
      image.height,
      image.width,
      size.height,
      size.width,
      image.channels,
    );
    source = { ...image, width: size.width, height: size.height, data };
  }
  const planar = toPlanarUnit(source);
  if (source.width === size.width && source.height === size.height) return planar;
  if (resample === "antialias") {
    return resizeAntialiasPlanar(planar, 3, source.height, source.width, size.height, size.width);
  }
  return resizeBilinearPlanar(planar, 3, source.height, source.width, size.height, size.width, {
    alignCorners: false,
  });
}

/** Planar RGB in [0, 1] at the image's own size (grey replicated). */
function toPlanarUnit(image: Image): Float32Array {
  const { width, height, channels, data } = image;
  // dividing (not multiplying by a reciprocal) gives the correctly rounded k/255 that numpy produces
  const full = image.bitDepth === 16 ? 65535 : 255;
  const plane = width * height;
  const planar = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      planar[c * plane + i] = data[i * channels + (channels === 3 ? c : 0)]! / full;
    }
  }
  return planar;
}

// colour maps and resizing live in their own modules; re-exported so image users need one import
export { type ColorizeOptions, type ColorMapName, colorize } from "./colormap.js";
export { type BilinearOptions, resizeBilinear, resizeNearest } from "./resize.js";
