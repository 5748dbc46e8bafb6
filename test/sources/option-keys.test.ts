import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as root from '../../index.js';
import * as sources from '../../sources/index.js';
import * as operators from '../../operators/index.js';
import * as sinks from '../../sinks/index.js';
import * as pipelines from '../../pipelines/index.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const ENTRY_POINTS = {
  index: root,
  'sources/index': sources,
  'operators/index': operators,
  'sinks/index': sinks,
  'pipelines/index': pipelines,
};

/** An exported function (or class) and the position of an options object among its parameters. */
interface OptionSite {
  readonly entry: string;
  readonly name: string;
  readonly index: number;
  readonly construct: boolean;
  /** The options come last in a rest parameter (`keepFields('a', 'b', options)`). */
  readonly rest: boolean;
}

/** A parameter that is an options object: by name, or by its declared type's name. */
function isOptionsParameter(name: string, typeText: string): boolean {
  if (/^(string|string \| readonly string\[\])$/.test(typeText)) return false; // a shard spec
  return /^(options|spec|declaration|third)$/.test(name) || /(Options|Spec|Declaration)\b/.test(typeText);
}

/**
 * Every exported function and class of the published entry points with an options-object parameter,
 * read from the compiled declarations (so a new export is found without editing this test).
 */
function optionSites(): OptionSite[] {
  const dir = fileURLToPath(new URL('../../', import.meta.url));
  const files = Object.keys(ENTRY_POINTS).map((e) => `${dir}${e}.d.ts`);
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const sites: OptionSite[] = [];
  for (const entry of Object.keys(ENTRY_POINTS)) {
    const file = program.getSourceFile(`${dir}${entry}.d.ts`);
    assert.ok(file, `${entry}.d.ts is built`);
    const module = checker.getSymbolAtLocation(file);
    assert.ok(module);
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const construct = (symbol.flags & ts.SymbolFlags.Class) !== 0;
      if (!construct && (symbol.flags & ts.SymbolFlags.Function) === 0) continue;
      const type = checker.getTypeOfSymbol(symbol);
      const found = new Map<string, OptionSite>();
      for (const signature of construct ? type.getConstructSignatures() : type.getCallSignatures()) {
        const declaration = signature.getDeclaration();
        declaration.parameters.forEach((p, index) => {
          const typeText = p.type?.getText() ?? '';
          const rest = p.dotDotDotToken !== undefined && /Options\]$/.test(typeText);
          if (rest || (p.dotDotDotToken === undefined && isOptionsParameter(p.name.getText(), typeText)))
            found.set(`${index}`, { entry, name: exported.name, index, construct, rest });
        });
      }
      sites.push(...found.values());
    }
  }
  return sites;
}

/** Arguments before the options where `undefined` would not reach the options check. */
const LEADING: Readonly<Record<string, readonly unknown[]>> = {
  'createNdaTransform#1': ['jigsaw'],
  'createVideoNdaTransform#1': ['splice'],
  'twoViews#2': [[], []],
  'keepFields#0': ['a'],
  'toTuple#0': ['a'],
};

/** Where the message names another function than the one called (the factory it delegates to). */
const CALLEE: Readonly<Record<string, string>> = { 'createNdaTransform#1': 'jigsawTransform' };

/** Not option-taking factories, with the reason. */
const EXEMPT: Readonly<Record<string, string>> = {
  'DatasetError#4': "an Error's own `{ cause }` (ErrorOptions), as `new Error(message, options)` takes it",
};

/** Calls `site` with `options` where its options go; the error it throws or rejects with, else undefined. */
async function errorOf(site: OptionSite, options: object): Promise<unknown> {
  const key = `${site.name}#${site.index}`;
  const lead = LEADING[key] ?? [];
  const args = site.rest ? [...lead, options] : [...lead, ...Array(site.index - lead.length).fill(undefined), options];
  const f = (ENTRY_POINTS[site.entry as keyof typeof ENTRY_POINTS] as Record<string, unknown>)[site.name] as (
    ...a: unknown[]
  ) => unknown;
  try {
    const result: unknown = site.construct
      ? new (f as unknown as new (...a: unknown[]) => unknown)(...args)
      : f(...args);
    if (result instanceof Promise) await result;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('checkOptionKeys', () => {
  it('names the nearest known option when the key is a slip, else lists them', () => {
    assert.throws(() => checkOptionKeys('f', { sead: 1 }, ['seed', 'shuffle']), {
      name: 'TypeError',
      message: 'Cannot call f as sead is not an option of f: did you mean seed?',
    });
    assert.throws(() => checkOptionKeys('f', { colour: 1 }, ['seed', 'shuffle']), {
      message: 'Cannot call f as colour is not an option of f: the options are seed, shuffle',
    });
    assert.throws(() => checkOptionKeys('f', { x: 1 }, []), { message: /f: it takes no options$/ });
    assert.throws(() => checkOptionKeys('f', { wieght: 1 }, ['weight'], 'a list entry'), {
      message: 'Cannot call f as wieght is not an option of a list entry: did you mean weight?',
    });
    for (const fine of [undefined, null, {}, { seed: 1 }, { sead: undefined }, 3]) checkOptionKeys('f', fine, ['seed']);
  });

  it('optionKeys lists every key of the options type, and only those (checked by the compiler)', () => {
    assert.deepEqual(optionKeys<{ a?: number; b: string }>({ a: true, b: true }), ['a', 'b']);
    // @ts-expect-error: an option of the type left out of the list does not compile
    optionKeys<{ a?: number; b: string }>({ a: true });
    // @ts-expect-error: a name that is not an option does not compile
    optionKeys<{ a?: number }>({ a: true, c: true });
  });

  it('plain-JS callers of fromShards and decode get the house TypeError for a misspelled option', () => {
    assert.throws(() => sources.fromShards('x.tar', { sead: 1 } as never), {
      name: 'TypeError',
      message: 'Cannot call fromShards as sead is not an option of fromShards: did you mean seed?',
    });
    assert.throws(() => operators.decode({ imgae: 'gray' } as never), {
      name: 'TypeError',
      message: 'Cannot call decode as imgae is not an option of decode: did you mean image?',
    });
  });

  it('every exported function and class that takes options rejects a misspelled key, in every entry point', async () => {
    const sites = optionSites();
    const names = new Set(sites.map((s) => s.name));
    // the enumeration itself finds the factories of each layer
    for (const expected of [
      'fromShards',
      'ShardWriter',
      'decode',
      'keepFields',
      'trainNdaGan',
      'intOption',
      'definePipeline',
    ])
      assert.ok(names.has(expected), `${expected} is enumerated`);
    assert.ok(sites.length > 80, `${sites.length} option sites`);
    const missing: string[] = [];
    for (const site of sites) {
      const key = `${site.name}#${site.index}`;
      if (EXEMPT[key] !== undefined) continue;
      const error = await errorOf(site, { zzNotAnOption: 1 });
      const callee = CALLEE[key] ?? site.name;
      const expected = `Cannot call ${callee} as zzNotAnOption is not an option of `;
      if (!(error instanceof TypeError) || !error.message.startsWith(expected))
        missing.push(`${site.entry} ${key}: ${error instanceof Error ? error.message : String(error)}`);
    }
    assert.deepEqual(missing, []);
  });
});
