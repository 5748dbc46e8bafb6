// Type tests: what createLoader infers for real pipelines. Nothing here runs: the file is part of the
// build (tsconfig.json includes test/), so `npm test` (build first) fails when an inferred type
// changes (an `Expect<Equal<...>>` no longer holds) or when a line marked @ts-expect-error starts to
// compile (TS2578). Exact equality, not assignability, so that `unknown` or `any` cannot slip through.
/* eslint-disable @typescript-eslint/no-unused-vars -- the loaders here exist to have their inferred types read */
import { pipe } from 'rxjs';
import {
  batch,
  createLoader,
  decode,
  decodeClips,
  clipRandomResizedCrop,
  fromShards,
  jigsaw,
  keepFields,
  mapSamples,
  filterSamples,
  mixup,
  ndaPairs,
  randomFlip,
  rename,
  shuffle,
  toTuple,
  twoViews,
  normalize,
  type Batch,
  type Image,
  type ImageBatch,
  type Loader,
  type Sample,
  type VideoClip,
} from '../../index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expect<T extends true>(): T | undefined {
  return undefined;
}
/** The item type of a loader. */
type Item<L> = L extends Loader<infer T> ? T : never;

type Fmnist = { png: Uint8Array; cls: Uint8Array };
const shards = 'data/fmnist/train-{000000..000003}.tar.gz';

export function declaredFields(): void {
  // decode + batch: the issue's example, with the shards' fields declared
  const loader = createLoader(fromShards<Fmnist>(shards), decode({ image: 'gray' }), batch(64));
  type B = Item<typeof loader>;
  expect<Equal<B['png'], ImageBatch>>();
  expect<Equal<B['cls'], Float64Array>>();
  expect<Equal<B['__key__'], string[]>>();
  expect<Equal<B['__url__'], string[]>>();
  // @ts-expect-error -- a field the shards do not declare does not exist
  expect<Equal<B['jpg'], unknown>>();

  // the source alone: the declared raw fields
  expect<Equal<Item<ReturnType<typeof createLoader<Sample<Fmnist>>>>['png'], Uint8Array>>();
  // decode alone: Image and number
  const decoded = createLoader(fromShards<Fmnist>(shards), decode());
  expect<Equal<Item<typeof decoded>['png'], Image>>();
  expect<Equal<Item<typeof decoded>['cls'], number>>();

  // mono-type operators between decode and batch keep the fields
  const augmented = createLoader(
    fromShards<Fmnist>(shards),
    shuffle(100, { seed: 1 }),
    decode(),
    randomFlip({ seed: 1 }),
    normalize({ mean: [0.5], std: [0.5] }),
    batch(8, { partial: false }),
    jigsaw({ seed: 1 }),
  );
  expect<Equal<Item<typeof augmented>['png'], ImageBatch>>();
  expect<Equal<Item<typeof augmented>['cls'], Float64Array>>();

  // collate: false gives arrays of the members' values
  const plain = createLoader(fromShards<Fmnist>(shards), decode(), batch(8, { collate: false }));
  expect<Equal<Item<typeof plain>['png'], Image[]>>();
  expect<Equal<Item<typeof plain>['cls'], number[]>>();
}

export function userDecodersAndTextFields(): void {
  const loader = createLoader(
    fromShards<{ 'meta.json': Uint8Array; txt: Uint8Array; npy: Uint8Array; 'seg.png': Uint8Array; raw: Uint8Array }>(
      shards,
    ),
    decode({ decoders: { npy: (bytes: Uint8Array) => new Float32Array(bytes.buffer) } }),
  );
  type S = Item<typeof loader>;
  expect<Equal<S['meta.json'], unknown>>();
  expect<Equal<S['txt'], string>>();
  expect<Equal<S['npy'], Float32Array>>();
  expect<Equal<S['seg.png'], Image>>();
  expect<Equal<S['raw'], Uint8Array>>(); // no decoder: bytes
  const batched = createLoader(
    fromShards<{ txt: Uint8Array; npy: Uint8Array }>(shards),
    decode({ decoders: { npy: (bytes: Uint8Array) => new Float32Array(bytes.buffer) } }),
    batch(4),
  );
  expect<Equal<Item<typeof batched>['txt'], string[]>>();
  expect<Equal<Item<typeof batched>['npy'], Float32Array[]>>();
}

export async function undeclaredFields(): Promise<void> {
  // plain Sample: the well-known names are typed by pattern (index signatures: `| undefined` under
  // noUncheckedIndexedAccess, hence NonNullable)
  for await (const b of createLoader(fromShards(shards), decode({ image: 'gray' }), batch(64))) {
    expect<Equal<NonNullable<typeof b.png>, ImageBatch>>();
    expect<Equal<NonNullable<typeof b.cls>, Float64Array>>();
    expect<Equal<NonNullable<(typeof b)['seg.png']>, ImageBatch>>();
    expect<Equal<typeof b.__key__, string[]>>();
    expect<Equal<typeof b.whatever, unknown>>();
  }
  for await (const s of createLoader(fromShards(shards), decode())) {
    expect<Equal<NonNullable<typeof s.jpg>, Image>>();
    expect<Equal<NonNullable<typeof s.txt>, string>>();
    expect<Equal<typeof s.__key__, string>>();
  }
}

export function fieldOperators(): void {
  const kept = createLoader(fromShards<Fmnist & { txt: Uint8Array }>(shards), decode(), keepFields('png', 'cls'));
  type K = Item<typeof kept>;
  expect<Equal<K['png'], Image>>();
  expect<Equal<K['cls'], number>>();
  // @ts-expect-error -- keepFields dropped txt
  expect<Equal<K['txt'], string>>();

  const renamed = createLoader(
    fromShards<Fmnist>(shards),
    decode(),
    rename({ image: 'jpg;png', label: 'cls' }, { keep: false }),
  );
  type R = Item<typeof renamed>;
  expect<Equal<R['image'], Image>>();
  expect<Equal<R['label'], number>>();
  // @ts-expect-error -- renamed away
  expect<Equal<R['png'], Image>>();

  const tuples = createLoader(fromShards<Fmnist>(shards), decode(), toTuple('png;jpg', 'cls'), batch(16));
  type T = Item<typeof tuples>;
  expect<Equal<T[0], ImageBatch>>();
  expect<Equal<T[1], Float64Array>>();
  expect<Equal<T['__key__'], string[]>>();

  const views = createLoader(fromShards<Fmnist>(shards), decode(), twoViews([randomFlip({ seed: 1 })]), batch(8));
  expect<Equal<Item<typeof views>['view0'], ImageBatch>>();
  expect<Equal<Item<typeof views>['view1'], ImageBatch>>();

  const mapped = createLoader(
    fromShards<Fmnist>(shards),
    decode(),
    mapSamples((s) => ({ label: s.cls + 1 })),
    filterSamples((s) => s.label !== 9, { reason: 'class-9' }),
  );
  expect<Equal<Item<typeof mapped>['label'], number>>();
  expect<Equal<Item<typeof mapped>['__key__'], string>>(); // mapSamples carries the identity
}

export function negativesAndVideo(): void {
  const pairs = createLoader(
    fromShards<Fmnist>(shards),
    decode(),
    batch(64, { partial: false }),
    mixup({ seed: 1 }),
    ndaPairs({ transforms: 'jigsaw', seed: 1 }),
  );
  type P = Item<typeof pairs>;
  expect<Equal<P['real']['png'], ImageBatch>>();
  expect<Equal<P['negative']['png'], ImageBatch>>();
  expect<Equal<P['negative']['__nda__'], string[]>>();
  expect<Equal<P['real']['__partner__'], string[]>>(); // from mixup

  const clips = createLoader(
    fromShards<{ mp4: Uint8Array; cls: Uint8Array }>('data/moving-fmnist/test-000000.tar.gz'),
    decodeClips({ frames: 8, mode: 'multi', clips: 2, seed: 1 }),
    clipRandomResizedCrop({ size: 48, seed: 2 }),
    batch(16),
  );
  type C = Item<typeof clips>;
  expect<Equal<C['clips'], [VideoClip, VideoClip][]>>();
  expect<Equal<C['cls'], Uint8Array[]>>(); // decodeClips decodes only the video
  // @ts-expect-error -- the video field is replaced by the clips
  expect<Equal<C['mp4'], Uint8Array[]>>();
}

function takesImage(image: Image): Image {
  return image;
}

export async function mistakesFailToCompile(): Promise<void> {
  // @ts-expect-error -- NDA operators take batches, not samples
  createLoader(fromShards<Fmnist>(shards), decode(), jigsaw());
  // @ts-expect-error -- decode before batch: decode takes samples, not batches
  createLoader(fromShards<Fmnist>(shards), batch(4), decode());
  const loader = createLoader(fromShards<Fmnist>(shards), decode(), batch(4));
  for await (const b of loader) {
    // @ts-expect-error -- an ImageBatch is not an Image (its shape has 4 dimensions)
    takesImage(b.png);
    // @ts-expect-error -- labels are a Float64Array after batch, not numbers
    const label: number = b.cls;
    void label;
  }
}

export function dynamicListsAndStockOperators(): void {
  // an operator list built at run time: the item type is stated, not inferred
  const ops = [decode(), batch(4)];
  const loader = createLoader<Batch>(fromShards(shards), ops);
  expect<Equal<Item<typeof loader>, Batch>>();
  // RxJS's pipe() composes typed stages too
  const stage = pipe(decode<Sample<Fmnist>>(), batch(4));
  const piped = createLoader(fromShards<Fmnist>(shards), stage);
  expect<Equal<Item<typeof piped>['png'], ImageBatch>>();
}
