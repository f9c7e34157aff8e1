/** The colour scale of the depth picture: the Turbo ramp with what its two ends mean. */
import { Text } from "ink";
import { turboColor } from "../../compiler/data/colormap.js";

/** `width` cells of the Turbo ramp, low end on the left, as true-colour background cells. */
export function colorRamp(width: number): string {
  let s = "";
  for (let i = 0; i < width; i++) {
    const [r, g, b] = turboColor(width > 1 ? i / (width - 1) : 0);
    s += `\x1b[48;2;${r};${g};${b}m `;
  }
  return width > 0 ? `${s}\x1b[0m` : "";
}

export interface ColorScaleProps {
  /** Total width in cells, labels included. */
  width: number;
  /** What the blue (low) end means. */
  lowLabel: string;
  /** What the red (high) end means. */
  highLabel: string;
}

export function ColorScale({ width, lowLabel, highLabel }: ColorScaleProps) {
  const labelled = width - [...lowLabel].length - [...highLabel].length - 2;
  if (labelled < 3) return <Text>{colorRamp(Math.max(0, width))}</Text>;
  return (
    <Text>
      <Text dimColor>{lowLabel}</Text> {colorRamp(labelled)} <Text dimColor>{highLabel}</Text>
    </Text>
  );
}
