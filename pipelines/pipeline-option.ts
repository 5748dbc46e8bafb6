import { rangeError, typeError } from '../sources/errors.js';
import { checkOptionKeys, optionKeys, type OptionKeyFlags } from '../sources/option-keys.js';

/** The keys every option kind takes ({@link OptionBase}), spread into each kind's key list. */
const BASE_FLAGS: OptionKeyFlags<OptionBase<unknown>> = {
  help: true,
  default: true,
  defaultText: true,
  flag: true,
  resumable: true,
  check: true,
};
const CHOICE_OPTION_KEYS = optionKeys<OptionBase<string>>(BASE_FLAGS);
const FLAG_OPTION_KEYS = optionKeys<OptionBase<boolean>>(BASE_FLAGS);
const INT_OPTION_KEYS = optionKeys<IntOptionSpec>({ ...BASE_FLAGS, min: true, max: true });
const INT_RANGE_OPTION_KEYS = optionKeys<
  OptionBase<number | readonly [number, number]> & { readonly min?: number | undefined }
>({ ...BASE_FLAGS, min: true });
const NUMBER_OPTION_KEYS = optionKeys<NumberOptionSpec>({ ...BASE_FLAGS, min: true, max: true });
const NUMBER_PAIR_OPTION_KEYS = optionKeys<OptionBase<readonly [number, number]>>(BASE_FLAGS);
const STRING_OPTION_KEYS = optionKeys<OptionBase<string> & { readonly type?: string | undefined }>({
  ...BASE_FLAGS,
  type: true,
});

/**
 * The option kinds a pipeline declares (`definePipeline({options: {steps: intOption({...})}})`):
 * each says its type, default, help line and check, once, for the command line
 * (`ndaflow run NAME --steps 5`, `--help`) and for code (`pipeline.run({steps: 5})`) alike.
 */

/**
 * One declared pipeline option. `T` is its value's type; `Present` is true when a run always has a
 * value (a default, or the option is required), so the options object types it as `T`, else `T | undefined`.
 */
export interface PipelineOption<T, Present extends boolean = boolean> {
  /** The value's kind, shown in `--help` as the placeholder (`--steps <int>`). */
  readonly type: string;
  /** One line for `--help`. */
  readonly help: string;
  /** The value a run gets when the option is not given. @default undefined (none) */
  readonly default: T | undefined;
  /** What `--help` shows as the default when it is not a plain value (`'a fresh one, printed'`). @default none */
  readonly defaultText: string | undefined;
  /** A run must give it (no default). @default false */
  readonly required: boolean;
  /**
   * The command-line name without dashes. @default the key in kebab case (`batchSize` -> `batch-size`);
   * a flag whose default is true is given as `--no-NAME`.
   */
  readonly flag: string | undefined;
  /** True for on/off flags (`--conditional`, `--no-eval`): no value on the command line. */
  readonly isFlag: boolean;
  /** The values it takes, for choices (`--help` lists them). @default none */
  readonly choices: readonly string[] | undefined;
  /**
   * May differ from the saved run's value when resuming (`steps`, `backend`); every other option of a
   * pipeline with a run folder is kept from its `config.json`. @default false
   */
  readonly resumable: boolean;
  /** Reads the command-line text as a value for {@link check} (`'12'` -> 12, `'10,19'` -> [10, 19]); never throws. */
  parse(text: string): unknown;
  /**
   * Checks a value given in code (or parsed), for `action` (`run fmnist-gan`) and option `name`.
   * @throws RangeError/TypeError `Cannot <action> as <name> must be ...: current value is <x>`.
   */
  check(value: unknown, action: string, name: string): T;
  /** The same option with another default (which also makes it present). */
  withDefault(value: T, defaultText?: string): PipelineOption<T, true>;
  /** The same option with other help, flag, default text, resumability or requiredness. */
  with(
    changes: Partial<Pick<PipelineOption<T>, 'help' | 'flag' | 'defaultText' | 'resumable'>>,
  ): PipelineOption<T, Present>;
  /** The same option, required (a run without it fails, naming it). */
  asRequired(): PipelineOption<T, true>;
}

/** Any declared option (for records of them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- records hold options of every value type; `unknown` would reject them (check/withDefault take T)
export type AnyPipelineOption = PipelineOption<any, boolean>;

/** What every option factory takes. */
export interface OptionBase<T> {
  /** One line for `--help`. */
  readonly help: string;
  /** The value when not given. @default none (the run sees undefined, or the pipeline decides) */
  readonly default?: T;
  /** What `--help` shows as the default instead of the value. @default the value */
  readonly defaultText?: string;
  /** The command-line name without dashes. @default the key in kebab case */
  readonly flag?: string;
  /** May change when resuming a run. @default false */
  readonly resumable?: boolean;
  /**
   * A further check of the value (e.g. an NDA transform's own validator); it throws in the house form.
   * The option's name is added to what it throws. @default none
   */
  readonly check?: (value: T) => void;
}

type Present<O> = O extends { readonly default: infer D } ? (undefined extends D ? false : true) : false;

interface Kind<T> {
  readonly type: string;
  readonly isFlag?: boolean;
  readonly choices?: readonly string[];
  /** Text -> value; throws a plain message that {@link makeOption} wraps. */
  readonly parse: (text: string) => unknown;
  /** Value -> checked value or a message (`must be an integer >= 1`). */
  readonly check: (value: unknown) => T | { readonly problem: string; readonly type?: true };
}

function makeOption<T>(
  kind: Kind<T>,
  base: OptionBase<T>,
  extra: { required?: boolean } = {},
): PipelineOption<T, boolean> {
  const option: PipelineOption<T, boolean> = {
    type: kind.type,
    help: base.help,
    default: base.default,
    defaultText: base.defaultText,
    required: extra.required ?? false,
    flag: base.flag,
    isFlag: kind.isFlag ?? false,
    choices: kind.choices,
    resumable: base.resumable ?? false,
    parse: kind.parse,
    check(value, action, name) {
      const r = kind.check(value);
      if (typeof r === 'object' && r !== null && 'problem' in r) {
        throw (r.type ? typeError : rangeError)(action, `${name} ${r.problem}`, value);
      }
      if (base.check !== undefined) {
        try {
          base.check(r);
        } catch (error) {
          if (error instanceof Error) {
            // the validator's own message, prefixed with the option it came through
            const wrapped = new (error instanceof TypeError ? TypeError : RangeError)(
              `Cannot ${action} as ${name} is not valid: ${error.message}`,
              { cause: error },
            );
            throw wrapped;
          }
          throw error;
        }
      }
      return r;
    },
    withDefault(value, defaultText) {
      return makeOption(kind, { ...base, default: value, defaultText }, extra);
    },
    with(changes) {
      return makeOption(kind, { ...base, ...changes }, extra);
    },
    asRequired() {
      return makeOption(kind, base, { required: true });
    },
  };
  return option;
}

function parseNumberText(text: string): number {
  const t = text.trim();
  return t === '' ? NaN : Number(t);
}

/** Options of {@link intOption}. */
export interface IntOptionSpec extends OptionBase<number> {
  /** Smallest value. @default -2^53 + 1 */
  readonly min?: number;
  /** Largest value. @default 2^53 - 1 */
  readonly max?: number;
}

/**
 * An integer option (`--steps <int>`; `1e3` is read as 1000).
 * @example intOption({ default: 200, min: 1, help: 'training steps' })
 */
export function intOption<S extends IntOptionSpec>(spec: S): PipelineOption<number, Present<S>> {
  checkOptionKeys('intOption', spec, INT_OPTION_KEYS);
  const min = spec.min ?? Number.MIN_SAFE_INTEGER;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  const range =
    max === Number.MAX_SAFE_INTEGER
      ? min === Number.MIN_SAFE_INTEGER
        ? ''
        : ` >= ${min}`
      : min === Number.MIN_SAFE_INTEGER
        ? ` <= ${max}`
        : ` in [${min}, ${max}]`;
  return makeOption<number>(
    {
      type: 'int',
      parse: parseNumberText,
      check: (v) => {
        if (typeof v !== 'number' || Number.isNaN(v)) return { problem: 'must be a number', type: true };
        if (!Number.isInteger(v) || v < min || v > max) return { problem: `must be an integer${range}` };
        return v;
      },
    },
    spec,
  );
}

/** Options of {@link numberOption}. */
export interface NumberOptionSpec extends OptionBase<number> {
  /** Smallest value (inclusive). @default -Infinity */
  readonly min?: number;
  /** Largest value (inclusive). @default Infinity */
  readonly max?: number;
}

/**
 * A finite number option (`--alpha <number>`).
 * @example numberOption({ min: 0, help: 'weight of the fake term' })
 */
export function numberOption<S extends NumberOptionSpec>(spec: S): PipelineOption<number, Present<S>> {
  checkOptionKeys('numberOption', spec, NUMBER_OPTION_KEYS);
  const min = spec.min ?? -Infinity;
  const max = spec.max ?? Infinity;
  const range =
    max === Infinity
      ? min === -Infinity
        ? ''
        : ` >= ${min}`
      : min === -Infinity
        ? ` <= ${max}`
        : ` in [${min}, ${max}]`;
  return makeOption<number>(
    {
      type: 'number',
      parse: parseNumberText,
      check: (v) => {
        if (typeof v !== 'number' || Number.isNaN(v)) return { problem: 'must be a number', type: true };
        if (!Number.isFinite(v) || v < min || v > max) return { problem: `must be a finite number${range}` };
        return v;
      },
    },
    spec,
  );
}

/**
 * A text option (`--shards <spec>`); never empty.
 * @example stringOption({ type: 'spec', help: 'shards to read' })
 */
export function stringOption<S extends OptionBase<string> & { readonly type?: string }>(
  spec: S,
): PipelineOption<string, Present<S>> {
  checkOptionKeys('stringOption', spec, STRING_OPTION_KEYS);
  return makeOption<string>(
    {
      type: spec.type ?? 'text',
      parse: (t) => t,
      check: (v) => {
        if (typeof v !== 'string') return { problem: 'must be a string', type: true };
        if (v === '') return { problem: 'must not be empty' };
        return v;
      },
    },
    spec,
  );
}

/**
 * An option taking one of `choices` (`--nda <none|jigsaw|...>`); its value type is their union.
 * @example choiceOption(['none', 'jigsaw'] as const, { default: 'jigsaw', help: 'negative data augmentation' })
 */
export function choiceOption<const C extends readonly string[], S extends OptionBase<C[number]>>(
  choices: C,
  spec: S,
): PipelineOption<C[number], Present<S>> {
  checkOptionKeys('choiceOption', spec, CHOICE_OPTION_KEYS);
  return makeOption<C[number]>(
    {
      type: choices.join('|'),
      choices,
      parse: (t) => t,
      check: (v) => {
        if (typeof v !== 'string') return { problem: `must be one of ${choices.join(', ')}`, type: true };
        if (!choices.includes(v)) return { problem: `must be one of ${choices.join(', ')}` };
        return v;
      },
    },
    spec,
  );
}

/**
 * An on/off option. With `default: false` (the usual) the command line turns it on with `--NAME`;
 * with `default: true` it turns it off with `--no-NAME`.
 * @example flagOption({ default: false, help: 'class-conditional networks' })
 */
export function flagOption(spec: OptionBase<boolean> & { readonly default: boolean }): PipelineOption<boolean, true> {
  checkOptionKeys('flagOption', spec, FLAG_OPTION_KEYS);
  return makeOption<boolean>(
    {
      type: 'flag',
      isFlag: true,
      parse: (t) => {
        if (t === 'true') return true;
        if (t === 'false') return false;
        return t;
      },
      check: (v) => (typeof v === 'boolean' ? v : { problem: 'must be a boolean', type: true }),
    },
    spec,
  );
}

/**
 * An integer or an inclusive integer range (`--cutout-size 12` or `--cutout-size 10,19`): the value is a
 * number or a `[lo, hi]` pair, as the NDA transforms take their sizes.
 * @example intRangeOption({ min: 1, help: 'side of the square, or a range' })
 */
export function intRangeOption<S extends OptionBase<number | readonly [number, number]> & { readonly min?: number }>(
  spec: S,
): PipelineOption<number | readonly [number, number], Present<S>> {
  checkOptionKeys('intRangeOption', spec, INT_RANGE_OPTION_KEYS);
  const min = spec.min ?? 0;
  return makeOption<number | readonly [number, number]>(
    {
      type: 'int|lo,hi',
      parse: (t) => {
        const parts = t.split(/[,:]|\.\./).map(parseNumberText);
        return parts.length === 1 ? parts[0] : parts;
      },
      check: (v) => {
        const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= min;
        if (ok(v)) return v;
        if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1]) && v[0] <= v[1]) return [v[0], v[1]] as const;
        return { problem: `must be an integer >= ${min} or a range lo,hi of them with lo <= hi` };
      },
    },
    spec,
  );
}

/**
 * A pair of finite numbers `lo,hi` with lo <= hi (`--noise-range 0,1`, `--splice-fraction 0.25,0.75`).
 * @example numberPairOption({ help: 'range of the uniform noise' })
 */
export function numberPairOption<S extends OptionBase<readonly [number, number]>>(
  spec: S,
): PipelineOption<readonly [number, number], Present<S>> {
  checkOptionKeys('numberPairOption', spec, NUMBER_PAIR_OPTION_KEYS);
  return makeOption<readonly [number, number]>(
    {
      type: 'lo,hi',
      parse: (t) => t.split(',').map(parseNumberText),
      check: (v) => {
        if (
          Array.isArray(v) &&
          v.length === 2 &&
          v.every((x) => typeof x === 'number' && Number.isFinite(x)) &&
          (v[0] as number) <= (v[1] as number)
        )
          return [v[0] as number, v[1] as number] as const;
        return { problem: 'must be two finite numbers lo,hi with lo <= hi' };
      },
    },
    spec,
  );
}

/** The command-line name of an option declared under `key` (`batchSize` -> `batch-size`). */
export function optionFlag(key: string, option: AnyPipelineOption): string {
  const name = option.flag ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return option.isFlag && option.default === true ? `--no-${name}` : `--${name}`;
}
