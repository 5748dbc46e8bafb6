// The README's NDA example: real batches paired with their negatives (a jigsaw/cutout mixture).
import { createLoader, fromShards, decode, batch, ndaPairs, type ImageBatch, type Batch } from '../index.js';
import { fileURLToPath } from 'node:url';

const shards = fileURLToPath(new URL('../../data/fmnist/train-{000000..000003}.tar.gz', import.meta.url));

const pairs = createLoader<{ real: Batch; negative: Batch }>(
  fromShards(shards, { seed: 1, shuffle: 1000 }),
  decode(),
  batch(64, { partial: false }),
  ndaPairs({
    transforms: [
      { name: 'jigsaw', weight: 1 },
      { name: 'cutout', weight: 1 },
    ],
    seed: 1,
  }),
);

const used = new Map<string, number>();
let pairsSeen = 0;
for await (const { real, negative } of pairs) {
  const r = real.png as ImageBatch;
  const n = negative.png as ImageBatch;
  if (pairsSeen++ === 0) console.log('real', r.shape, 'negative', n.shape);
  const name = (negative.__nda__ as string[])[0] as string;
  used.set(name, (used.get(name) ?? 0) + 1);
}
console.log('pairs', pairsSeen, 'transforms', Object.fromEntries(used));
