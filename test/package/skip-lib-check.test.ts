/**
 * A TypeScript user with `skipLibCheck: false` (and `strict`) compiles against the built package:
 * `ndaflow/sources`, `ndaflow/operators` and `ndaflow/pipelines` with no error at all (their
 * declarations pull in no `@tensorflow/*` types); the root and `ndaflow/sinks` bring TF.js 4.22's
 * own declarations, whose errors (tfjs-layers assumes strictNullChecks off, tfjs-core's hash_util
 * names `Long` from `@types/long`) are all inside `@tensorflow/*`, never in ndaflow's (hence the
 * README's `skipLibCheck: true` for those). The consumer imports `ndaflow` through a package folder
 * holding the repository's package.json (its `exports` map) and the test build's declarations as
 * `dist/`, as an installed package resolves.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BUILT = fileURLToPath(new URL('../../', import.meta.url));

/** The diagnostics of a consumer file importing `code`, compiled with skipLibCheck false. */
function compile(app: string, name: string, code: string): readonly ts.Diagnostic[] {
  const file = join(app, `${name}.ts`);
  writeFileSync(file, code);
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    typeRoots: [join(REPO, 'node_modules', '@types')],
    types: ['node'],
  });
  return ts.getPreEmitDiagnostics(program);
}

const show = (d: ts.Diagnostic): string =>
  `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`.slice(0, 300);

describe('declarations under skipLibCheck: false', () => {
  let app = '';

  before(() => {
    app = realpathSync(mkdtempSync(join(tmpdir(), 'ndaflow-lib-check-')));
    const pkg = join(app, 'node_modules', 'ndaflow');
    mkdirSync(pkg, { recursive: true });
    copyFileSync(join(REPO, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(BUILT, join(pkg, 'dist'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  });

  after(() => {
    if (app !== '') rmSync(app, { recursive: true, force: true });
  });

  it('ndaflow/sources, ndaflow/operators and ndaflow/pipelines compile clean', () => {
    const diagnostics = compile(
      app,
      'loader-only',
      `import { createLoader, fromShards, type Batch } from 'ndaflow/sources';
import { batch, decode, jigsaw } from 'ndaflow/operators';
import { commonOptions, definePipeline, intOption } from 'ndaflow/pipelines';
export const loader = createLoader<Batch>(fromShards('a.tar', { seed: 1 }), [decode(), batch(8), jigsaw({ seed: 1 })]);
export const pipeline = definePipeline({
  name: 'mine',
  summary: 'a pipeline',
  options: { steps: intOption({ help: 'steps', default: 1 }), shards: commonOptions.shards },
  run: (options, context) => context.consume(createLoader(fromShards(options.shards ?? 'a.tar', { seed: context.seed }))),
});
`,
    );
    assert.deepEqual(diagnostics.map(show), []);
  });

  it("the root import's errors are all in TF.js's own declarations, none in ndaflow's", () => {
    const diagnostics = compile(app, 'root', `import { fromShards } from 'ndaflow';\nexport const f = fromShards;\n`);
    assert.ok(
      diagnostics.length > 0,
      'TF.js 4.22 declarations still fail without skipLibCheck (else drop the README note)',
    );
    const outside = diagnostics.filter((d) => !(d.file?.fileName ?? '').includes('/node_modules/@tensorflow/'));
    assert.deepEqual(outside.map(show), []);
  });
});
