import type { Image } from '../../sources/sample.js';

/**
 * Decoding straight into batch memory: when `decode` feeds `batch(n)` directly in a loader (the
 * loader's decode-into-batch fusion, as tf.data's map-and-batch fusion), each cropped image is
 * written into its slot of a block laid out as the batch will be (n images one after another), and
 * `batch` takes the block as the batch's pixels instead of copying the images into a new buffer.
 *
 * Nothing is lent: every block is memory that the batch, and so the user, owns (new, or the memory
 * of a batch the user released with `releaseBatch`, moved to a new ArrayBuffer so that nothing kept
 * from that batch can see it); each slot is given to one image once; and `batch` takes a block only
 * when its members are exactly the block's first slots in order (otherwise it copies, as without
 * the fusion). What it saves per image: the allocation of its own pixels (page faults on fresh
 * memory, and the garbage collections that external memory triggers) and the copy into the batch.
 */

/**
 * The blocks made here, with the pool of the run that made them: `batch` takes only these as they
 * are (never memory a user decoder returned), and {@link releaseBatch} gives them back to their pool.
 */
const BLOCKS = new WeakMap<ArrayBuffer, BlockPool>();

/** Released blocks a run may fill again, at most this many (a few batches in flight). */
const MAX_POOLED_BLOCKS = 4;

/**
 * Memory of released batches, for the next blocks of the same run. Each entry is a fresh
 * ArrayBuffer that took over a released block's memory (the batch's own ArrayBuffer is detached),
 * so no array a user kept can see the pixels written into it next.
 */
class BlockPool {
  readonly #free: ArrayBuffer[] = [];

  /** Memory of `bytes` bytes: a released block's, or new. */
  take(bytes: number): ArrayBuffer {
    const i = this.#free.findIndex((m) => m.byteLength === bytes);
    const memory = i >= 0 ? (this.#free.splice(i, 1)[0] as ArrayBuffer) : Buffer.allocUnsafeSlow(bytes).buffer;
    BLOCKS.set(memory, this);
    return memory;
  }

  /** Takes over a released block's memory: `memory` is detached, its arrays left empty. */
  give(memory: ArrayBuffer): void {
    BLOCKS.delete(memory);
    const moved = structuredClone(memory, { transfer: [memory] });
    if (this.#free.length < MAX_POOLED_BLOCKS) this.#free.push(moved);
  }
}

/** Where a sample's images go: its position in decode's output, counted in one generation. */
export interface SlotTicket {
  readonly position: number;
  readonly generation: number;
}

interface Block {
  readonly generation: number;
  /** Which batch of the output the block stands for: position / size, rounded down. */
  readonly index: number;
  /** Bytes of one image. */
  readonly bytes: number;
  readonly memory: ArrayBuffer;
}

/** The slots of one run of a fused decode stage (one per subscription). */
export class BatchSlots {
  #entered = 0;
  #lost = 0;
  #generation = 0;
  readonly #blocks = new Map<string, Block>();
  readonly #pool = new BlockPool();

  /** @param size The batch size of the `batch` stage that follows. */
  constructor(readonly size: number) {}

  /**
   * A sample enters decode (in input order, which is decode's output order): where it will come out
   * if no sample before it fails.
   */
  enter(): SlotTicket {
    return { position: this.#entered++ - this.#lost, generation: this.#generation };
  }

  /**
   * A sample failed and will not come out: the samples after it come out one place earlier than
   * their tickets say. Tickets given from now on are of a new generation, whose blocks are new, so
   * that no slot is given twice (the batches around the failure are copied).
   */
  lost(): void {
    this.#lost++;
    this.#generation++;
  }

  /**
   * The slot of image field `field` of the sample holding `ticket`, `bytes` long; undefined when the
   * current block of the field cannot hold it (another image size, or a ticket of an older block):
   * the caller then allocates the image's own memory.
   */
  reserve(field: string, ticket: SlotTicket, bytes: number): Uint8Array | undefined {
    const index = Math.floor(ticket.position / this.size);
    const slot = ticket.position - index * this.size;
    let block = this.#blocks.get(field);
    // a ticket past the current block (in generation, then batch) opens the next; an older one gets no slot
    if (
      block === undefined ||
      block.generation < ticket.generation ||
      (block.generation === ticket.generation && block.index < index)
    ) {
      block = { generation: ticket.generation, index, bytes, memory: this.#pool.take(bytes * this.size) };
      this.#blocks.set(field, block);
    }
    if (block.generation !== ticket.generation || block.index !== index || block.bytes !== bytes) return undefined;
    return new Uint8Array(block.memory, slot * bytes, bytes);
  }
}

/**
 * The batch of `images` (each `per` elements, of one shape) without a copy: the block they were
 * decoded into, when they are its first slots in order; undefined otherwise.
 */
export function blockOf(images: readonly Image[], per: number): Uint8Array | undefined {
  const first = images[0]?.data;
  if (!(first instanceof Uint8Array) || first.byteOffset !== 0 || !BLOCKS.has(first.buffer as ArrayBuffer))
    return undefined;
  const memory = first.buffer;
  for (let i = 0; i < images.length; i++) {
    const data = (images[i] as Image).data;
    if (data.buffer !== memory || data.byteOffset !== i * per || data.length !== per) return undefined;
  }
  return new Uint8Array(memory, 0, per * images.length);
}

/** True for memory a fused decode wrote a batch's images into (tests check the fusion took place). */
export function isBatchBlock(memory: ArrayBufferLike): boolean {
  return memory instanceof ArrayBuffer && BLOCKS.has(memory);
}

/** Gives the memory under `data` back to the run that decoded into it, when it is a block (else nothing). */
export function releaseBlock(data: Uint8Array | Float32Array): void {
  const memory = data.buffer;
  if (!(memory instanceof ArrayBuffer)) return;
  BLOCKS.get(memory)?.give(memory);
}
