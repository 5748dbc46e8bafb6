import { NDA_TRANSFORM_NAMES, createNdaTransform } from '../operators/internal/nda-transforms.js';
import { createVideoNdaTransform } from '../operators/internal/video-nda-transforms.js';
import { rangeError } from '../sources/errors.js';
import {
  choiceOption,
  intOption,
  intRangeOption,
  numberOption,
  numberPairOption,
  optionFlag,
  type AnyPipelineOption,
} from './pipeline-option.js';

/**
 * The NDA transforms' own options as pipeline options (`--jigsaw-k 4`, `--cutout-size 10,19`,
 * `--mixup-alpha 25`, ...): one per field a transform accepts, each checked by the transform's own
 * validator (`createNdaTransform(name, {field: value})`), so a bad value fails before anything is
 * read and the message names the option and the transform's constraint.
 */

/** Builds the transform once with one field, so its own validator checks the value. */
function validatedBy(transform: string, field: string): (value: unknown) => void {
  return (value) => {
    if (NDA_TRANSFORM_NAMES.includes(transform)) createNdaTransform(transform, { [field]: value });
    else createVideoNdaTransform(transform, { [field]: value });
  };
}

/** One NDA option: the transform and field it sets, and its declaration. */
interface NdaField {
  readonly transform: string;
  readonly field: string;
  readonly option: AnyPipelineOption;
}

/** Every transform option, by pipeline option key (the flag is its kebab case: `jigsawK` -> `--jigsaw-k`). */
const NDA_FIELDS = {
  jigsawK: {
    transform: 'jigsaw',
    field: 'k',
    option: intOption({
      help: 'jigsaw: tiles per side (a k x k grid; k divides the image side)',
      defaultText: '2',
      check: validatedBy('jigsaw', 'k'),
    }),
  },
  jigsawMode: {
    transform: 'jigsaw',
    field: 'mode',
    option: choiceOption(['official', 'strict'] as const, {
      help: "jigsaw: 'official' reassembles as the paper's code (1 in 23 outputs equals the input at k 2), 'strict' never returns the input",
      defaultText: 'official',
    }),
  },
  stitchP: {
    transform: 'stitch',
    field: 'p',
    option: numberOption({
      help: 'stitch: probability that a batch is stitched top-bottom (else left-right)',
      defaultText: '0.5',
      check: validatedBy('stitch', 'p'),
    }),
  },
  mixupAlpha: {
    transform: 'mixup',
    field: 'alpha',
    option: numberOption({
      help: 'mixup: lambda ~ Beta(alpha, alpha) per batch',
      defaultText: '25',
      check: validatedBy('mixup', 'alpha'),
    }),
  },
  cutoutSize: {
    transform: 'cutout',
    field: 'size',
    option: intRangeOption({
      min: 1,
      help: 'cutout: side of the square in px, or a range lo,hi drawn per image',
      defaultText: '10,19 at 32 px, scaled with the size',
      check: validatedBy('cutout', 'size'),
    }),
  },
  cutmixBeta: {
    transform: 'cutmix',
    field: 'beta',
    option: numberOption({
      help: 'cutmix: lambda ~ Beta(beta, beta) per batch',
      defaultText: '1',
      check: validatedBy('cutmix', 'beta'),
    }),
  },
  shiftOffset: {
    transform: 'shift',
    field: 'offset',
    option: intRangeOption({
      min: 0,
      help: 'shift: offset in px, or a range lo,hi drawn per image',
      defaultText: '10,24 at 32 px, scaled with the size',
      check: validatedBy('shift', 'offset'),
    }),
  },
  noiseRange: {
    transform: 'noise',
    field: 'range',
    option: numberPairOption({
      help: 'noise: interval lo,hi of float negatives (8-bit ones take 0..255)',
      defaultText: '0,1',
      check: validatedBy('noise', 'range'),
    }),
  },
  spliceFraction: {
    transform: 'splice',
    field: 'fraction',
    option: numberPairOption({
      help: "splice: bounds lo,hi of the share of a clip's frames kept before the partner's",
      defaultText: '0.25,0.75',
      check: validatedBy('splice', 'fraction'),
    }),
  },
  spliceCut: {
    transform: 'splice',
    field: 'cut',
    option: choiceOption(['clip', 'batch'] as const, {
      help: 'splice: one cut per clip or one for the whole batch',
      defaultText: 'clip',
    }),
  },
} as const satisfies Record<string, NdaField>;

/** The key of an NDA transform option (`jigsawK`, `cutoutSize`, ...). */
export type NdaOptionKey = keyof typeof NDA_FIELDS;

/**
 * The pipeline options of the given transforms' fields, to compose into a declaration:
 * `ndaOptions(['jigsaw', 'cutout'])` is `{jigsawK, jigsawMode, cutoutSize}`. Transforms without
 * options (`reverse`, `static`, ...) add none.
 */
export function ndaOptions<const N extends readonly string[]>(
  transforms: N,
): {
  readonly [
    K in NdaOptionKey as (typeof NDA_FIELDS)[K]['transform'] extends N[number] ? K : never
  ]: (typeof NDA_FIELDS)[K]['option'];
} {
  const out: Record<string, AnyPipelineOption> = {};
  for (const [key, f] of Object.entries(NDA_FIELDS) as [string, NdaField][])
    if (transforms.includes(f.transform)) out[key] = f.option;
  return out as never;
}

/**
 * The transform options a run gave for its `nda` (`{k: 4}` from `jigsawK: 4`), as plain JSON for
 * `createNdaTransform(nda, ...)`, `ndaPairs` and `config.json`.
 * @throws RangeError when an option of another transform is given (it would be ignored), naming it.
 */
export function ndaTransformOptions(
  action: string,
  nda: string,
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(NDA_FIELDS) as [string, NdaField][]) {
    const value = values[key];
    if (value === undefined) continue;
    if (f.transform !== nda)
      throw rangeError(action, `${optionFlag(key, f.option)} applies to --nda ${f.transform} only`, `--nda ${nda}`);
    out[f.field] = value;
  }
  return out;
}
