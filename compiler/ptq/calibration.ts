/** Calibration inputs: images from a data set or an image folder, prepared exactly as at inference. */
import { basename } from "node:path";
import { listCalibrationImages } from "../data/datasets.js";
import { readImage } from "../data/image.js";
import { imageToInput } from "../eval/preprocess.js";
import { GraphError } from "../ir/graph.js";

export interface CalibrationSet {
  files: string[];
  inputs: Float32Array[];
  width: number;
  height: number;
}

/**
 * The first `count` images of `path`, checked: at least one image, every image readable and of one
 * size (a calibration set comes from one camera; a mixed set is almost always a wrong folder).
 */
export function loadCalibration(
  path: string,
  size: { width: number; height: number },
  count = 32,
): CalibrationSet {
  let files: string[];
  try {
    files = listCalibrationImages(path).slice(0, count);
  } catch (e) {
    throw new GraphError(`calibration data: ${(e as Error).message}`);
  }
  if (files.length === 0) throw new GraphError(`calibration data: no images found in ${path}`);
  const inputs: Float32Array[] = [];
  let first: { w: number; h: number; file: string } | undefined;
  for (const file of files) {
    let image: ReturnType<typeof readImage>;
    try {
      image = readImage(file);
    } catch (e) {
      throw new GraphError(`calibration data: ${(e as Error).message}`);
    }
    if (!first) first = { w: image.width, h: image.height, file };
    else if (image.width !== first.w || image.height !== first.h) {
      throw new GraphError(
        `calibration data: ${basename(file)} is ${image.width}×${image.height} but ${basename(first.file)} is ${first.w}×${first.h}; use images from one camera`,
      );
    }
    inputs.push(imageToInput(image, size.width, size.height));
  }
  return { files, inputs, width: first!.w, height: first!.h };
}
