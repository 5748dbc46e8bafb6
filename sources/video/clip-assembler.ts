import type { ClipWindow } from './clip-plan.js';

/**
 * The clips of one video, filled as its frames stream by: each frame is copied into every slot of
 * every window that reads it (a padded window reads its last frame several times) and is not kept
 * otherwise. Holds `windows.length` clip buffers of `frames x frameBytes` bytes, allocated up front
 * and not initialised: read {@link data} only once {@link complete}.
 */
export class ClipAssembler {
  /** One buffer per window (each its own `ArrayBuffer`, so one can be transferred alone): its frames, one after the other. */
  readonly data: Uint8Array[];
  /** Frame slots filled so far (a frame copied into k slots counts k). */
  filled = 0;
  /** Frame slots in all (windows x frames). */
  readonly total: number;
  /** Decoded frame index -> the slots (window * frames + t) that read it. */
  private readonly slots = new Map<number, number[]>();
  private readonly frames: number;

  constructor(
    readonly windows: readonly ClipWindow[],
    private readonly frameBytes: number,
  ) {
    this.frames = windows[0]?.indices.length ?? 0;
    this.total = windows.length * this.frames;
    // not zero-filled (one pass less over the clips; every byte is written before the clips are used)
    this.data = windows.map(() => {
      const b = Buffer.allocUnsafeSlow(this.frames * frameBytes);
      return new Uint8Array(b.buffer, b.byteOffset, b.length);
    });
    windows.forEach((w, c) =>
      w.indices.forEach((i, t) => {
        const list = this.slots.get(i);
        if (list === undefined) this.slots.set(i, [c * this.frames + t]);
        else list.push(c * this.frames + t);
      }),
    );
  }

  /** Copies frame `index` into every slot that reads it; returns how many (0 when no window reads it). */
  take(frame: Uint8Array, index: number): number {
    const list = this.slots.get(index);
    if (list === undefined) return 0;
    for (const slot of list) this.slotView(slot).set(frame);
    this.filled += list.length;
    this.slots.delete(index); // each frame arrives once: what is left is what is missing
    return list.length;
  }

  /** True once every slot is filled. */
  get complete(): boolean {
    return this.filled === this.total;
  }

  /** True when some window reads frame `index` and it has not arrived yet. */
  needs(index: number): boolean {
    return this.slots.has(index);
  }

  /** Frame `index` if a window of this assembler read it and it arrived (a view: copy what you keep), else undefined. */
  frameAt(index: number): Uint8Array | undefined {
    if (this.slots.has(index)) return undefined;
    for (let c = 0; c < this.windows.length; c++) {
      const t = (this.windows[c] as ClipWindow).indices.indexOf(index);
      if (t >= 0) return this.slotView(c * this.frames + t);
    }
    return undefined;
  }

  /** The frame indices still missing, ascending. */
  missing(): number[] {
    return [...this.slots.keys()].sort((a, b) => a - b);
  }

  private slotView(slot: number): Uint8Array {
    const c = Math.floor(slot / this.frames);
    const t = slot - c * this.frames;
    return (this.data[c] as Uint8Array).subarray(t * this.frameBytes, (t + 1) * this.frameBytes);
  }
}
