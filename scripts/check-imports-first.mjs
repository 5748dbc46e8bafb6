#!/usr/bin/env node
// Fails when a TypeScript file has an import statement after other code (ESLint's core rules have
// no `import/first`, and eslint-plugin-import is a heavy dependency for one rule):
//   node scripts/check-imports-first.mjs
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const files = execFileSync('git', ['ls-files', '*.ts'], { encoding: 'utf8' }).split('\n').filter(Boolean);
let bad = 0;
for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  let seenCode = false;
  for (const statement of source.statements) {
    const isImport = ts.isImportDeclaration(statement) || ts.isImportEqualsDeclaration(statement);
    if (!isImport) seenCode = true;
    else if (seenCode) {
      const { line } = source.getLineAndCharacterOfPosition(statement.getStart(source));
      console.error(`${file}:${line + 1}: import after other statements (imports go first)`);
      bad++;
    }
  }
}
if (bad > 0) process.exit(1);
