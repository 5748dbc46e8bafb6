import { SampleError, typeError } from './errors.js';

/** What a stage does after its error handler saw an error. */
export type HandlerDecision = 'continue' | 'stop';

/**
 * An error policy, an explicit argument of every stage (as in WebDataset): given the error, either
 * throw (the stream errors), or tell the stage to skip the sample and `continue`, or to end the
 * stream cleanly (`stop`). Skipped samples are always counted in the run's accounting.
 */
export interface ErrorHandler {
  readonly name: HandlerName;
  (error: SampleError): HandlerDecision;
}

/** The five built-in policies. */
export type HandlerName = 'reraise' | 'warnAndContinue' | 'ignoreAndContinue' | 'warnAndStop' | 'ignoreAndStop';

export const HANDLER_NAMES: readonly HandlerName[] = [
  'reraise',
  'warnAndContinue',
  'ignoreAndContinue',
  'warnAndStop',
  'ignoreAndStop',
];

function named(name: HandlerName, fn: (error: SampleError) => HandlerDecision): ErrorHandler {
  return Object.defineProperty(fn, 'name', { value: name }) as ErrorHandler;
}

function warn(error: SampleError): void {
  process.emitWarning(error.message, { type: 'NdaflowWarning', code: error.reason });
}

/** Rethrows: the stream errors with the {@link SampleError}. The default everywhere. */
export const reraise: ErrorHandler = named('reraise', (error) => {
  throw error;
});
/** Prints a warning, skips the sample (counted), goes on. */
export const warnAndContinue: ErrorHandler = named('warnAndContinue', (error) => {
  warn(error);
  return 'continue';
});
/** Skips the sample (counted) silently, goes on. */
export const ignoreAndContinue: ErrorHandler = named('ignoreAndContinue', () => 'continue');
/** Prints a warning and ends the stream cleanly (what was skipped or not read is counted). */
export const warnAndStop: ErrorHandler = named('warnAndStop', (error) => {
  warn(error);
  return 'stop';
});
/** Ends the stream cleanly without a warning. */
export const ignoreAndStop: ErrorHandler = named('ignoreAndStop', () => 'stop');

const BY_NAME: Readonly<Record<HandlerName, ErrorHandler>> = {
  reraise,
  warnAndContinue,
  ignoreAndContinue,
  warnAndStop,
  ignoreAndStop,
};

/** The handler of a name (as given on the command line: `--handler warnAndContinue`). */
export function handlerByName(name: string): ErrorHandler {
  const h = (BY_NAME as Record<string, ErrorHandler | undefined>)[name];
  if (!h) throw typeError('choose an error handler', `it must be one of ${HANDLER_NAMES.join(', ')}`, name);
  return h;
}

/** Resolves a handler option (a function or a name), defaulting to {@link reraise}. */
export function resolveHandler(handler: ErrorHandler | HandlerName | undefined): ErrorHandler {
  if (handler === undefined) return reraise;
  if (typeof handler === 'string') return handlerByName(handler);
  if (typeof handler !== 'function')
    throw typeError('choose an error handler', 'it must be a function or a handler name', handler);
  return handler;
}
