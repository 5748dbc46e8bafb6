/** A convolution's padding as tfjs takes it: 'same', 'valid' or explicit NHWC pads. */
export type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

/** One convolution shape of the kernel tests: input `[batch, h, w, ci]`, a `k` filter to `co` channels. */
export interface ConvCase {
  readonly batch: number;
  readonly h: number;
  readonly w: number;
  readonly ci: number;
  readonly co: number;
  readonly k: [number, number];
  readonly stride: number | [number, number];
  readonly pad: Pad;
}

/** Explicit NHWC pads from the `[top, bottom]` and `[left, right]` pads. */
export function explicitPad(height: [number, number], width: [number, number]): Pad {
  return [[0, 0], height, width, [0, 0]];
}
