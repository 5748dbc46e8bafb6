// The README's example pipeline: embedded Fashion-MNIST shards -> shuffle -> decode -> batch,
// pulled with backpressure, with a state saved along the way and the accounting at the end.
// The fields the shards hold are declared, so the batch's fields are typed: no casts.
import { createLoader, fromShards, decode, batch } from '../index.js';
import { fileURLToPath } from 'node:url';

const shards = fileURLToPath(new URL('../../data/fmnist/train-{000000..000003}.tar.gz', import.meta.url));

const loader = createLoader(
  fromShards<{ png: Uint8Array; cls: Uint8Array }>(shards, { seed: 42, shuffle: 1000, handler: 'warnAndContinue' }),
  decode({ image: 'gray' }),
  batch(64),
);

const it = loader.iterate();
let batches = 0;
for await (const b of it) {
  const images = b.png; // ImageBatch: [64, 28, 28, 1] Uint8Array
  const labels = b.cls; // Float64Array
  if (batches === 0) console.log('first batch', images.shape, 'labels', [...labels.slice(0, 8)]);
  if (++batches === 10) console.log('state after 10 batches:', JSON.stringify(it.state()).length, 'bytes of JSON');
}
console.log('accounting', it.accounting());
