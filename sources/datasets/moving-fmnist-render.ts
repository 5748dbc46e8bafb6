import { checkInteger, rangeError, typeError, isArray } from '../errors.js';

/**
 * The eight motion directions of Moving-Fashion-MNIST, by label: compass points counter-clockwise
 * from east, on screen (north is up, i.e. towards row 0).
 */
export const MOVING_FMNIST_DIRECTIONS: readonly string[] = ['E', 'NE', 'N', 'NW', 'W', 'SW', 'S', 'SE'];

/** One item moving in a Moving-Fashion-MNIST clip. */
export interface MovingItem {
  /** The item's gray pixels, a square `side x side` image row-major (28 x 28 for Fashion-MNIST). */
  readonly image: Uint8Array;
  /** Top-left corner at frame 0, `[x, y]` in pixels (x to the right, y down), inside `[0, size - side]`. */
  readonly start: readonly [number, number];
  /** Pixels per frame, `[vx, vy]` (x to the right, y down: `[0, -3]` moves north). */
  readonly velocity: readonly [number, number];
}

/** Options of {@link renderMovingFmnist}. */
export interface RenderMovingFmnistOptions {
  /** Frames in the clip. @default 20 */
  readonly frames?: number;
  /** Side of the square canvas in pixels. @default 64 */
  readonly size?: number;
}

/** What {@link renderMovingFmnist} draws. */
export interface RenderedMovingClip {
  /** Gray frames `[T, size, size]`, row-major, black background. */
  readonly data: Uint8Array;
  readonly shape: readonly [number, number, number];
  /** Per item, per frame, the integer top-left corner `[x, y]` the item was drawn at. */
  readonly positions: readonly (readonly (readonly [number, number])[])[];
  /** Per item, the frames (from 1) at which it bounced off a wall (its velocity was reflected). */
  readonly bounces: readonly (readonly number[])[];
  /**
   * Per item, per frame, the velocity `[vx, vy]` it has on arriving at that frame (frame 0: the initial
   * velocity), i.e. the one it leaves the frame with: after a bounce, the reflected one.
   */
  readonly frameVelocities: readonly (readonly (readonly [number, number])[])[];
}

/**
 * The compass direction label (index into {@link MOVING_FMNIST_DIRECTIONS}) of a velocity `[vx, vy]`
 * (y down): the nearest of the eight 45-degree directions, 0 = east, 2 = north, 4 = west, 6 = south.
 *
 * @throws RangeError for a zero or non-finite velocity.
 */
export function compassDirectionOf(velocity: readonly [number, number]): number {
  const [vx, vy] = velocity;
  if (!Number.isFinite(vx) || !Number.isFinite(vy) || (vx === 0 && vy === 0))
    throw rangeError('find a direction', 'the velocity must be finite and non-zero', velocity);
  const angle = Math.atan2(-vy, vx); // y down on screen, so north is -y
  return ((Math.round(angle / (Math.PI / 4)) % 8) + 8) % 8;
}

/** Moves one coordinate by one frame, reflecting off [0, max]; returns the new position and velocity and whether it bounced. */
function step(p: number, v: number, max: number): [number, number, boolean] {
  let q = p + v;
  let w = v;
  let bounced = false;
  // A loop, not one reflection, so a speed above the free range still stays in bounds.
  while (q < 0 || q > max) {
    q = q < 0 ? -q : 2 * max - q;
    w = -w;
    bounced = true;
  }
  return [q, w, bounced];
}

/**
 * Draws a Moving-Fashion-MNIST clip: each item starts with its top-left corner at `start` and moves by
 * `velocity` each frame; when a step would take it past a wall (its corner outside `[0, size - side]`)
 * the position is reflected back inside and that velocity component changes sign (an elastic bounce),
 * so the item always lies wholly in the canvas. Positions are kept as floats and drawn rounded to the
 * nearest pixel. Items are combined with the per-pixel maximum where they overlap. Pure and
 * deterministic (no randomness: {@link planMovingFmnistClip} draws the starts and velocities).
 *
 * @example const clip = renderMovingFmnist([{ image, start: [10, 20], velocity: [3, -1] }]); // shape [20, 64, 64]
 * @throws TypeError/RangeError for a non-square image, an image larger than the canvas, a start outside
 *   the canvas or a non-finite velocity, or bad `frames`/`size`.
 */
export function renderMovingFmnist(
  items: readonly MovingItem[],
  options: RenderMovingFmnistOptions = {},
): RenderedMovingClip {
  const action = 'render a Moving-Fashion-MNIST clip';
  const frames = checkInteger(action, 'frames', options.frames ?? 20, 1, 10_000);
  const size = checkInteger(action, 'size', options.size ?? 64, 1, 4096);
  if (!isArray(items) || items.length === 0) throw typeError(action, 'items must be a non-empty array', items);
  const data = new Uint8Array(frames * size * size);
  const positions: [number, number][][] = [];
  const bounces: number[][] = [];
  const frameVelocities: [number, number][][] = [];
  for (const [j, item] of items.entries()) {
    const { image, start, velocity } = item;
    if (!(image instanceof Uint8Array)) throw typeError(action, `item ${j}'s image must be a Uint8Array`, typeof image);
    const side = Math.round(Math.sqrt(image.length));
    if (side * side !== image.length || side === 0)
      throw rangeError(action, `item ${j}'s image must be a square (side * side pixels)`, image.length);
    if (side > size) throw rangeError(action, `item ${j}'s image side must be at most the canvas size ${size}`, side);
    const max = size - side;
    const [x0, y0] = start;
    if (!(x0 >= 0 && x0 <= max && y0 >= 0 && y0 <= max))
      throw rangeError(action, `item ${j}'s start must lie in [0, ${max}] on both axes`, start);
    if (!Number.isFinite(velocity[0]) || !Number.isFinite(velocity[1]))
      throw rangeError(action, `item ${j}'s velocity must be finite`, velocity);
    let [x, y] = start;
    let [vx, vy] = velocity;
    const path: [number, number][] = [];
    const hits: number[] = [];
    const vs: [number, number][] = [];
    for (let t = 0; t < frames; t++) {
      if (t > 0) {
        let bx: boolean;
        let by: boolean;
        [x, vx, bx] = step(x, vx, max);
        [y, vy, by] = step(y, vy, max);
        if (bx || by) hits.push(t);
      }
      const px = Math.min(max, Math.max(0, Math.round(x)));
      const py = Math.min(max, Math.max(0, Math.round(y)));
      path.push([px, py]);
      vs.push([vx, vy]);
      const frame = t * size * size;
      for (let r = 0; r < side; r++) {
        const row = frame + (py + r) * size + px;
        const src = r * side;
        for (let c = 0; c < side; c++) {
          const v = image[src + c] as number;
          if (v > (data[row + c] as number)) data[row + c] = v;
        }
      }
    }
    positions.push(path);
    bounces.push(hits);
    frameVelocities.push(vs);
  }
  return { data, shape: [frames, size, size], positions, bounces, frameVelocities };
}
