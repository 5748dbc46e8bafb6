import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { poolExecArgv } from '../../operators/internal/pool-exec-argv.js';

const ESM_ENTRY = fileURLToPath(new URL('../../operators/internal/nda-worker.js', import.meta.url));

describe('poolExecArgv', () => {
  it('keeps the process flags and, where Node has require(esm), turns it off so piscina loads our ESM entries with import()', async () => {
    const argv = poolExecArgv();
    for (const f of process.execArgv) assert.ok(argv.includes(f));
    if (!process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module')) return; // older Node: nothing to turn off
    assert.equal(argv.filter((f) => f === '--no-experimental-require-module').length, 1);
    const code = await new Promise<string>((resolve, reject) => {
      const w = new Worker(
        `const { parentPort } = require('node:worker_threads'); try { require(${JSON.stringify(ESM_ENTRY)}); parentPort.postMessage('required'); } catch (e) { parentPort.postMessage(e.code); }`,
        { eval: true, execArgv: argv },
      );
      w.once('message', (m: string) => {
        void w.terminate();
        resolve(m);
      });
      w.once('error', reject);
    });
    assert.equal(code, 'ERR_REQUIRE_ESM');
  });
});
