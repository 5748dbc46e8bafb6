// The README's names exist: every name its code blocks import from 'ndaflow' or one of its entry
// points is exported there (values at run time, types in the declarations), and every API call the
// prose shows in backticks (`fromShards(spec, options)`, `RxJS \`take(n)\``) names an export of
// ndaflow or of rxjs. Reads the compiled entry points and their declarations.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as rxjs from 'rxjs';

// The test build (dist-test/) compiles the entry points beside the tests: read them there.
const built = new URL('../', import.meta.url);
const readme = readFileSync(new URL('../README.md', built), 'utf8');

const ENTRIES = {
  ndaflow: '',
  'ndaflow/sources': 'sources/',
  'ndaflow/operators': 'operators/',
  'ndaflow/sinks': 'sinks/',
  'ndaflow/pipelines': 'pipelines/',
};
type Entry = keyof typeof ENTRIES;

/** The names an entry point's declarations export (`export { a }` and `export type { T }` lines, by name). */
function declaredExports(entry: Entry): Set<string> {
  const dts = readFileSync(new URL(`${ENTRIES[entry]}index.d.ts`, built), 'utf8');
  assert.doesNotMatch(dts, /export \*/, `${entry} must export by name`);
  const names = new Set<string>();
  for (const m of dts.matchAll(/export (?:type )?\{([^}]*)\}/g))
    for (const part of (m[1] ?? '').split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name) names.add(name);
    }
  return names;
}

async function runtimeExports(entry: Entry): Promise<Set<string>> {
  const url = new URL(`${ENTRIES[entry]}index.js`, built);
  return new Set(Object.keys((await import(fileURLToPath(url))) as object));
}

/** `import { a, type B } from 'ndaflow...'` in the README's code blocks. */
function readmeImports(): { entry: Entry; name: string; isType: boolean }[] {
  const out: { entry: Entry; name: string; isType: boolean }[] = [];
  for (const block of readme.matchAll(/```(?:ts|js|typescript)\n([\s\S]*?)```/g)) {
    for (const m of (block[1] ?? '').matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'(ndaflow[^']*)'/g)) {
      const entry = m[3] as Entry;
      assert.ok(entry in ENTRIES, `the README imports from ${entry}, which is not an entry point`);
      for (const part of (m[2] ?? '').split(',')) {
        const t = part.trim();
        if (t === '') continue;
        const isType = m[1] !== undefined || t.startsWith('type ');
        out.push({ entry, name: t.replace(/^type\s+/, '').split(/\s+as\s+/)[0] ?? t, isType });
      }
    }
  }
  return out;
}

/** Not API names: methods the prose shows without their object (`iterate({resumeFrom})`), and `http(s)://`. */
const METHODS = new Set([
  'iterate',
  'state',
  'accounting',
  'stages',
  'with',
  'apply',
  'run',
  'open',
  'train',
  'step',
  'http',
]);

/** Backticked calls in the prose (not code blocks), `name(`; table rows: the ndaflow column only. */
function proseCalls(): string[] {
  const prose = readme.replace(/```[\s\S]*?```/g, '');
  const names = new Set<string>();
  for (const line of prose.split('\n')) {
    const text = line.startsWith('|') ? (line.split('|').at(-2) ?? '') : line;
    for (const span of text.matchAll(/`([^`]+)`/g)) {
      const m = /^([A-Za-z_$][\w$]*)\(/.exec(span[1] ?? '');
      if (m?.[1] && !m[1].includes('_') && !METHODS.has(m[1])) names.add(m[1]);
    }
  }
  return [...names];
}

describe('README names', () => {
  it('every name imported in a code block is exported by that entry point', async () => {
    const imports = readmeImports();
    assert.ok(imports.length >= 5, `found only ${imports.length} imports in the README`);
    for (const { entry, name, isType } of imports) {
      assert.ok(declaredExports(entry).has(name), `${name} is imported from ${entry} in the README but not exported`);
      if (!isType)
        assert.ok((await runtimeExports(entry)).has(name), `${name} (a value) is not exported by ${entry} at run time`);
    }
  });

  it('every API call the prose names is exported by ndaflow or rxjs', async () => {
    const ours = new Set<string>();
    for (const entry of Object.keys(ENTRIES) as Entry[]) for (const name of await runtimeExports(entry)) ours.add(name);
    const calls = proseCalls();
    assert.ok(calls.includes('fromShards') && calls.includes('keepFields'), calls.join(' '));
    const missing = calls.filter((name) => !ours.has(name) && !(name in rxjs));
    assert.deepEqual(missing, [], `README names not exported: ${missing.join(', ')}`);
  });

  it('the renamed operators are gone and the internals are private', async () => {
    const ours = await runtimeExports('ndaflow');
    for (const name of [
      'map',
      'filter',
      'select',
      'LINEAGE',
      'settleSkipped',
      'parseCsvLine',
      'encodePng',
      'checkInteger',
    ])
      assert.ok(!ours.has(name), `${name} must not be exported`);
    for (const entry of Object.keys(ENTRIES) as Entry[]) declaredExports(entry); // no export *
    const sources = await runtimeExports('ndaflow/sources');
    for (const name of [
      'convertFashionMnist',
      'convertCifar',
      'convertFolder',
      'convertUcf101',
      'convertKinetics',
      'convertVideoFolder',
      'convertMovingFmnist',
      'writeDataset',
    ])
      assert.ok(sources.has(name), `ndaflow/sources must export ${name}`);
  });
});
