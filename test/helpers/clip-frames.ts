import { Random } from '../../sources/random.js';
import type { VideoClip } from '../../sources/video/video-clip.js';

/** A clip made of the given frames (each H*W*C bytes), with fixed fps 12, start 5, stride 3, padded 0 to check they are kept. */
export function framesOf(frames: readonly Uint8Array[], H: number, W: number, C: number): VideoClip {
  const per = H * W * C;
  const data = new Uint8Array(frames.length * per);
  frames.forEach((f, t) => data.set(f, t * per));
  return { data, shape: [frames.length, H, W, C], fps: 12, start: 5, stride: 3, padded: 0 };
}

/** A frame of seeded random bytes. */
export function randomFrame(H: number, W: number, C: number, seed: number): Uint8Array {
  const rng = Random.derive(seed, 'frame');
  return Uint8Array.from({ length: H * W * C }, () => rng.int(0, 255));
}
