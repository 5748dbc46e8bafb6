/**
 * The published package as a user gets it (slow, a few minutes: it builds, packs and installs; runs
 * with NDAFLOW_E2E=1, as `npm run test:e2e` and `.ci/run` set): `npm pack` (whose prepack builds
 * dist/), `npm install` of that tarball into an empty folder, then there `npx ndaflow list`,
 * `npx ndaflow run default` and the README quickstart (examples/quickstart.ts as compiled, with its
 * imports pointed at 'ndaflow') against the installed package.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const E2E = process.env['NDAFLOW_E2E'] === '1';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const QUICKSTART = fileURLToPath(new URL('../../examples/quickstart.js', import.meta.url));

function run(cmd: string, args: readonly string[], cwd: string, timeout: number): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

describe(
  'npm pack, install the tarball, use it',
  { skip: E2E ? false : 'set NDAFLOW_E2E=1 (npm run test:e2e)' },
  () => {
    let dir = '';
    let app = '';
    let files: string[] = [];

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'ndaflow-pack-install-'));
      const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], ROOT, 300_000).stdout) as {
        filename: string;
        files: { path: string }[];
      }[];
      const [first] = packed;
      assert.ok(first, 'npm pack --json listed no package');
      const tarball = join(dir, first.filename);
      files = first.files.map((f) => f.path);
      app = join(dir, 'app');
      mkdirSync(app);
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'ndaflow-user', private: true, type: 'module' }));
      run('npm', ['install', '--no-audit', '--no-fund', tarball], app, 600_000);
    });

    after(() => {
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    it('ships the library, the data, README and LICENSE, and nothing else', () => {
      const top = [...new Set(files.map((f) => f.split('/')[0]))].sort();
      assert.deepEqual(top, ['LICENSE', 'README.md', 'data', 'dist', 'package.json']);
      assert.deepEqual(
        files.filter(
          (f) =>
            f.endsWith('.map') || f.endsWith('.tsbuildinfo') || /^dist\/(test|bench|examples|experiments)\//.test(f),
        ),
        [],
      );
      const installed = join(app, 'node_modules', 'ndaflow');
      assert.ok(existsSync(join(installed, 'dist', 'cli', 'main.js')));
      assert.match(readFileSync(join(installed, 'LICENSE'), 'utf8'), /Copyright \(c\) 2026 the ndaflow authors/);
    });

    it('npx ndaflow list names the registered pipelines and the default alias', () => {
      const r = run('npx', ['--no-install', 'ndaflow', 'list'], app, 60_000);
      assert.match(r.stdout, /^fmnist-stream\s.*\(also: default\)$/m);
      assert.match(r.stdout, /^fmnist-gan\s/m);
    });

    it('npx ndaflow run default streams the embedded shards with a clean accounting', () => {
      const r = run('npx', ['--no-install', 'ndaflow', 'run', 'default', '--seed', '1'], app, 120_000);
      assert.match(r.stdout, /^pipeline: fmnist-stream \(seed 1\)$/m);
      assert.match(r.stdout, /"seen":3000,"yielded":3000,"skipped":\{\}.*"lost":0/);
    });

    it("the README quickstart runs against import('ndaflow')", () => {
      const compiled = readFileSync(QUICKSTART, 'utf8');
      const user = compiled
        .replace("from '../index.js'", "from 'ndaflow'")
        .replace("'../../data/fmnist/", "'./node_modules/ndaflow/data/fmnist/");
      assert.equal(user.includes("'ndaflow'") && user.includes('./node_modules/ndaflow/data/'), true, user);
      assert.doesNotMatch(user, /\.\.\//);
      writeFileSync(join(app, 'quickstart.js'), user);
      const r = run(process.execPath, ['quickstart.js'], app, 120_000);
      assert.match(r.stdout, /first batch \[ 64, 28, 28, 1 \]/);
      assert.match(r.stdout, /seen: 3000,\s+yielded: 3000,/);
      assert.match(r.stdout, /lost: 0/);
    });
  },
);
