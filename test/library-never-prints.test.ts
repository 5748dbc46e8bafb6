// The library never prints: only the CLI (cli/) writes to the terminal. A library function reports
// through a callback or its result (`onSeed`, `log`, `onProgress`, `source.seed`), so a program that
// embeds ndaflow owns its stdout and stderr. Scans the library's sources (comments excluded, so doc
// examples with console.log are fine) for console.* calls and process.stdout/stderr.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const LIBRARY = ['sources', 'operators', 'sinks', 'pipelines'];

/** `file:line` sites allowed to print, each with its reason (none today). */
const ALLOWED: Readonly<Record<string, string>> = {};

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each `console.x` and `process.stdout` / `process.stderr` of a source text, as `file:line text`. */
function printingSites(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const sites: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const target = `${node.expression.text}.${node.name.text}`;
      if (node.expression.text === 'console' || target === 'process.stdout' || target === 'process.stderr') {
        const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        sites.push(`${file}:${line} ${target}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

describe('the library never prints', () => {
  it('finds console and process.stdout/stderr in code, not in comments', () => {
    const text =
      '/** console.log(x) */\n// process.stderr.write("x")\nconst a = 1;\nconsole.warn(a);\nprocess.stdout.write("y");\n';
    assert.deepEqual(printingSites('x.ts', text), ['x.ts:4 console.warn', 'x.ts:5 process.stdout']);
  });

  it('no source of sources/, operators/, sinks/ or pipelines/ writes to the console or stdout/stderr', () => {
    const found = LIBRARY.flatMap((dir) => tsFiles(join(repo, dir))).flatMap((path) =>
      printingSites(relative(repo, path), readFileSync(path, 'utf8')).filter(
        (site) => ALLOWED[site.replace(/ .*/, '')] === undefined,
      ),
    );
    assert.ok(tsFiles(join(repo, 'sources')).length > 20, 'the sources were found');
    assert.deepEqual(found, []);
  });
});
