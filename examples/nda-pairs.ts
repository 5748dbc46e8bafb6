// The README's NDA example: real batches paired with their negatives (a jigsaw/cutout mixture).
import { createLoader, fromShards, decode, batch, ndaPairs } from '../index.js';
import { fileURLToPath } from 'node:url';

const shards = fileURLToPath(new URL('../../data/fmnist/train-{000000..000003}.tar.gz', import.meta.url));

const pairs = createLoader(
  fromShards<{ png: Uint8Array; cls: Uint8Array }>(shards, { seed: 1, shuffle: 1000 }),
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
  if (pairsSeen++ === 0) console.log('real', real.png.shape, 'negative', negative.png.shape);
  const name = negative.__nda__.at(0) ?? 'none'; // one transform per batch
  used.set(name, (used.get(name) ?? 0) + 1);
}
console.log('pairs', pairsSeen, 'transforms', Object.fromEntries(used));
