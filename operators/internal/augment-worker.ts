/**
 * The module `augmentInWorkers` runs on its `workerMap` pool. The chain of augmentation steps
 * travels in this module's URL (`?chain=<JSON>`), so each thread reads it from `import.meta.url`,
 * builds the RxJS operators once (on its first sample) and runs every sample through them. The
 * step table ({@link AUGMENT_OPS}) and {@link buildAugmentChain} are shared with the main side,
 * which builds the same chain once at declaration to validate it.
 */
import { lastValueFrom, of, type Observable, type OperatorFunction } from 'rxjs';
import type { Sample } from '../../sources/sample.js';
import { colorJitter, type ColorJitterOptions } from '../color-jitter.js';
import { gaussianBlur, type GaussianBlurOptions } from '../gaussian-blur.js';
import { normalize, type NormalizeOptions } from '../normalize.js';
import { randomCrop, type RandomCropOptions } from '../random-crop.js';
import { randomFlip, type RandomFlipOptions } from '../random-flip.js';
import { randomGrayscale, type RandomGrayscaleOptions } from '../random-grayscale.js';
import { randomResizedCrop, type RandomResizedCropOptions } from '../random-resized-crop.js';

/**
 * Options of an {@link AugmentStep}: the operator's own options minus what cannot travel to a worker
 * as JSON or must stay on the main thread (`onSeed`, `handler`).
 */
export type AugmentStepOptions<T> = Omit<T, 'onSeed' | 'handler'>;

/** One step of an `augmentInWorkers` chain: a positive augmentation operator and its (JSON) options. */
export type AugmentStep =
  | {
      readonly op: 'randomResizedCrop';
      readonly options: AugmentStepOptions<RandomResizedCropOptions> & { readonly seed: number };
    }
  | { readonly op: 'colorJitter'; readonly options: AugmentStepOptions<ColorJitterOptions> & { readonly seed: number } }
  | {
      readonly op: 'randomGrayscale';
      readonly options: AugmentStepOptions<RandomGrayscaleOptions> & { readonly seed: number };
    }
  | {
      readonly op: 'gaussianBlur';
      readonly options: AugmentStepOptions<GaussianBlurOptions> & { readonly seed: number };
    }
  | { readonly op: 'randomFlip'; readonly options: AugmentStepOptions<RandomFlipOptions> & { readonly seed: number } }
  | { readonly op: 'randomCrop'; readonly options: AugmentStepOptions<RandomCropOptions> & { readonly seed: number } }
  | { readonly op: 'normalize'; readonly options: AugmentStepOptions<NormalizeOptions> };

/** The operators a step may name, and whether each needs a seed. */
export const AUGMENT_OPS: Readonly<
  Record<
    AugmentStep['op'],
    { readonly make: (options: never) => OperatorFunction<Sample, Sample>; readonly seeded: boolean }
  >
> = {
  randomResizedCrop: { make: randomResizedCrop, seeded: true },
  colorJitter: { make: colorJitter, seeded: true },
  randomGrayscale: { make: randomGrayscale, seeded: true },
  gaussianBlur: { make: gaussianBlur, seeded: true },
  randomFlip: { make: randomFlip, seeded: true },
  randomCrop: { make: randomCrop, seeded: true },
  normalize: { make: normalize, seeded: false },
};

/** The operators of a (validated) chain, in order; each factory validates its own options. */
export function buildAugmentChain(steps: readonly AugmentStep[]): OperatorFunction<Sample, Sample>[] {
  return steps.map((step) =>
    (AUGMENT_OPS[step.op].make as (options: unknown) => OperatorFunction<Sample, Sample>)(step.options),
  );
}

let chain: OperatorFunction<Sample, Sample>[] | undefined;

/** Runs one sample through the chain named in this module's URL (called by `workerMap`'s pool). */
export default async function augment(sample: Sample): Promise<Sample> {
  if (chain === undefined) {
    const text = new URL(import.meta.url).searchParams.get('chain');
    if (text === null)
      throw new TypeError(
        `Cannot run the augmentation worker as its URL must carry ?chain=<JSON steps>: current value is ${JSON.stringify(import.meta.url)}`,
      );
    chain = buildAugmentChain(JSON.parse(text) as AugmentStep[]);
  }
  const none = Symbol('none');
  const out = await lastValueFrom(
    chain.reduce((items: Observable<Sample>, op) => op(items), of(sample)),
    { defaultValue: none },
  );
  if (out === none)
    throw new Error(`Cannot augment sample ${JSON.stringify(sample.__key__)} as a step of the chain dropped it`);
  return out as Sample;
}
