/**
 * The live depth screen, props only: a title, the throughput figures, the camera picture and the
 * depth picture side by side (true-colour half blocks) with the depth colour scale, a status line,
 * and log lines above it all (<Static>: printed once, scrolled up by the terminal). Everything is
 * sized from `columns` × `rows`, so the caller re-renders with new sizes when the terminal resizes;
 * the redrawn part never takes more than rows − 1 lines, so Ink never has to clear the screen.
 */
import { Box, Static, Text } from "ink";
import { useMemo } from "react";
import type { Image } from "../../compiler/data/image.js";
import { ColorScale } from "./color-scale.js";
import { Figures, figureGroups, type LiveFigures, packGroups } from "./figures.js";
import { truncate } from "./format.js";
import { fitCells, halfBlockLines } from "./halfblock.js";
import { PictureSlots } from "./picture-slots.js";

export interface LiveViewProps {
  columns: number;
  rows: number;
  /** e.g. "quart live — folder rgb (40 images) · float executor". */
  title: string;
  figures: LiveFigures;
  /** The camera frame (8-bit RGB); null before the first frame. */
  input: Image | null;
  /** The colour-mapped depth (any size: drawn in the camera picture's box); null before the first frame. */
  depth: Image | null;
  /** Meaning of the colour scale's low (blue) and high (red) ends. */
  scaleLabels?: readonly [string, string];
  /** Log lines, oldest first; new ones are appended. */
  logs: readonly string[];
  /** Bottom line: frame counter, hints. */
  status: string;
  /**
   * Draw the pictures through these slots instead of through Ink (much faster on wide terminals);
   * the stream Ink writes to must then pass its output through `slots.fill`.
   */
  slots?: PictureSlots;
}

/** Columns between the two pictures. */
export const GAP = 2;

export interface LiveLayout {
  /** Cells of each picture. */
  imageColumns: number;
  imageRows: number;
  /** Lines of the figures block. */
  figureLines: number;
  /** Lines of the redrawn part. */
  height: number;
}

/**
 * Where everything goes: title, figures, captions, pictures, colour scale, status, and one spare
 * line (a full-height frame would make Ink clear the whole screen on every update).
 */
export function liveLayout(columns: number, rows: number, aspect: number, figureLines: number): LiveLayout {
  const chrome = 1 + figureLines + 1 + 1 + 1;
  const maxRows = Math.max(1, rows - chrome - 1);
  const maxColumns = Math.max(1, Math.floor((columns - GAP) / 2));
  const box = fitCells(1, aspect, maxColumns, maxRows);
  return { imageColumns: box.columns, imageRows: box.rows, figureLines, height: chrome + box.rows };
}

function Pictures({
  input,
  depth,
  columns,
  rows,
  slots,
}: {
  input: Image;
  depth: Image | null;
  columns: number;
  rows: number;
  slots: PictureSlots | undefined;
}) {
  const left = useMemo(() => halfBlockLines(input, columns, rows), [input, columns, rows]);
  const right = useMemo(() => (depth ? halfBlockLines(depth, columns, rows) : []), [depth, columns, rows]);
  const blank = " ".repeat(columns);
  const viaSlots = slots && columns >= 2 && rows <= PictureSlots.MAX_ROWS;
  return (
    <Box flexDirection="column">
      {left.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: picture rows have no identity but their position
        <Text key={i} wrap="truncate">
          {viaSlots ? slots.placeholder(0, i, columns, line) : line}
          {" ".repeat(GAP)}
          {right[i] === undefined ? blank : viaSlots ? slots.placeholder(1, i, columns, right[i]) : right[i]}
        </Text>
      ))}
    </Box>
  );
}

export function LiveView(props: LiveViewProps) {
  const columns = Math.max(10, Math.floor(props.columns));
  const rows = Math.max(8, Math.floor(props.rows));
  const figureLines = packGroups(figureGroups(props.figures), columns).length;
  const aspect = props.input ? props.input.height / props.input.width : 3 / 4;
  const layout = liveLayout(columns, rows, aspect, figureLines);
  const [low, high] = props.scaleLabels ?? ["far", "near"];
  const pictureWidth = layout.imageColumns;
  return (
    <>
      <Static items={[...props.logs]}>
        {(line, i) => (
          <Text key={i} dimColor>
            {line}
          </Text>
        )}
      </Static>
      <Box flexDirection="column" width={columns}>
        <Text bold wrap="truncate">
          {truncate(props.title, columns)}
        </Text>
        <Figures figures={props.figures} columns={columns} />
        <Text wrap="truncate">
          {truncate("camera", pictureWidth).padEnd(pictureWidth + GAP)}
          {truncate("depth", pictureWidth)}
        </Text>
        {props.input ? (
          <Pictures
            input={props.input}
            depth={props.depth}
            columns={pictureWidth}
            rows={layout.imageRows}
            slots={props.slots}
          />
        ) : (
          <Box height={layout.imageRows}>
            <Text dimColor>{truncate("waiting for the first frame…", columns)}</Text>
          </Box>
        )}
        <Box>
          <Box width={pictureWidth + GAP} />
          <ColorScale width={pictureWidth} lowLabel={low} highLabel={high} />
        </Box>
        <Text dimColor wrap="truncate">
          {truncate(props.status, columns)}
        </Text>
      </Box>
    </>
  );
}
