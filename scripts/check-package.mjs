#!/usr/bin/env node
// npm run check:package: packs the package once (`npm pack`, whose prepack builds dist/ from
// tsconfig.build.json) and checks that one tarball: it holds only package.json, README.md, LICENSE,
// dist/ and data/, with no source maps and no compiled tests, benchmarks, examples or experiments;
// publint (--strict: warnings fail too) and arethetypeswrong (the esm-only profile: ndaflow is ESM
// only, so the CommonJS `require` and node10 resolutions are not expected to work) pass on it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'ndaflow-pack-'));
const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
try {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir]));
  const tarball = join(dir, packed.filename);
  const files = packed.files.map((f) => f.path);
  const top = new Set(files.map((f) => f.split('/')[0]));
  const bad = [
    ...[...top]
      .filter((t) => !['package.json', 'README.md', 'LICENSE', 'dist', 'data'].includes(t))
      .map((t) => `unexpected ${t}`),
    ...['package.json', 'README.md', 'LICENSE', 'dist', 'data'].filter((t) => !top.has(t)).map((t) => `missing ${t}`),
    ...files.filter((f) => f.endsWith('.map')).map((f) => `source map ${f}`),
    ...files.filter((f) => f.endsWith('.tsbuildinfo')).map((f) => `build state ${f}`),
    ...files.filter((f) => /^dist\/(test|bench|examples|experiments)\//.test(f)).map((f) => `not library code: ${f}`),
  ];
  console.log(
    `${packed.filename}: ${files.length} files, ${(packed.size / 1e6).toFixed(2)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(2)} MB unpacked`,
  );
  if (bad.length > 0) {
    console.error(`Cannot publish ${packed.filename} as its file list is wrong:\n  ${bad.join('\n  ')}`);
    process.exit(1);
  }
  const npx = (args) => execFileSync('npx', ['--no-install', ...args], { stdio: 'inherit' });
  npx(['publint', 'run', tarball, '--strict']);
  npx(['attw', tarball, '--profile', 'esm-only']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
