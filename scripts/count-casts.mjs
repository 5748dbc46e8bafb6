#!/usr/bin/env node
// Counts non-null assertions (`x!`) and type assertions (`x as T`, `<T>x`; `as const` excluded)
// in the project's TypeScript files, per top-level folder. Used for issue 10's before/after figures:
//   node scripts/count-casts.mjs
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const files = execFileSync('git', ['ls-files', '*.ts'], { encoding: 'utf8' }).split('\n').filter(Boolean);
const totals = {};
for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const folder = file.includes('/') ? file.slice(0, file.indexOf('/')) : '.';
  const row = (totals[folder] ??= { nonNull: 0, as: 0 });
  const visit = (node) => {
    if (ts.isNonNullExpression(node)) row.nonNull++;
    else if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
      const isConst = ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(source) === 'const';
      if (!isConst) row.as++;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
const sum = Object.values(totals).reduce((a, r) => ({ nonNull: a.nonNull + r.nonNull, as: a.as + r.as }), {
  nonNull: 0,
  as: 0,
});
console.table(totals);
console.log(JSON.stringify({ nonNull: sum.nonNull, as: sum.as }));
