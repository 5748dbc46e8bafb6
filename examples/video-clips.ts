// The README's video example: two clips per video, augmented alike on all their frames, batched,
// and a frame-shuffled NDA view of each (on the embedded Moving-Fashion-MNIST test clips).
import {
  batch,
  clipColorJitter,
  clipRandomResizedCrop,
  createLoader,
  createVideoNdaTransform,
  decodeClips,
  fromShards,
  stackClips,
} from '../index.js';
import { fileURLToPath } from 'node:url';

const shards = fileURLToPath(new URL('../../data/moving-fmnist/test-000000.tar.gz', import.meta.url));

const loader = createLoader(
  fromShards<{ mp4: Uint8Array; cls: Uint8Array }>(shards, { seed: 1, shuffle: 100 }),
  decodeClips({ frames: 8, stride: 2, size: 64, mode: 'multi', clips: 2, seed: 1 }), // one ffmpeg per video, both clips
  clipRandomResizedCrop({ size: 48, scale: [0.4, 1], seed: 2 }), // one crop per clip, every frame alike
  clipColorJitter({ brightness: 0.4, contrast: 0.4, seed: 3 }),
  batch(16, { partial: false }),
);
const shuffle = createVideoNdaTransform('shuffle');

const it = loader.iterate();
let batches = 0;
for await (const b of it) {
  const query = stackClips(b.clips.map((c) => c[0])); // b.clips: [VideoClip, VideoClip][]; [16, 8, 48, 48, 3]
  const key = stackClips(b.clips.map((c) => c[1]));
  const negative = shuffle.apply(query, { seed: 1, epoch: 0, keys: b.__key__ }).clips;
  if (batches++ === 0) console.log('query', query.shape, 'key', key.shape, 'shuffled', negative.shape);
}
console.log('batches', batches);
console.log(it.accounting());
