import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// A loader-only install (`npm install ndaflow --omit=peer`) has no @tensorflow/* or
// @ffmpeg-installer/*: each case runs a fresh node with those made unresolvable by a resolve hook.
const hook = fileURLToPath(new URL('../fixtures/block-heavy-packages.js', import.meta.url));
const url = (path: string): string => new URL(`../../${path}`, import.meta.url).href;
const shards = fileURLToPath(new URL('../../../data/fmnist/train-{000000..000003}.tar.gz', import.meta.url));
const cli = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/** Runs an ES module snippet in a node whose heavy packages are blocked. */
function blocked(script: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--import', hook, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('lean loader: ndaflow/sources and ndaflow/operators without TF.js and ffmpeg packages', () => {
  it('the hook does block them (so the imports below would fail if they were attempted)', () => {
    const r = blocked(`
      for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@ffmpeg-installer/ffmpeg']) {
        await import(name).then(() => console.log('loaded ' + name), (e) => console.log(e.code + ' ' + name));
      }`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'ERR_MODULE_NOT_FOUND @tensorflow/tfjs-core',
        'ERR_MODULE_NOT_FOUND @tensorflow/tfjs-backend-wasm',
        'ERR_MODULE_NOT_FOUND @ffmpeg-installer/ffmpeg',
        '',
      ].join('\n'),
    );
  });

  it('imports every public entry point without attempting any of them', () => {
    const r = blocked(`
      const sources = await import(${JSON.stringify(url('sources/index.js'))});
      const operators = await import(${JSON.stringify(url('operators/index.js'))});
      const sinks = await import(${JSON.stringify(url('sinks/index.js'))});
      const root = await import(${JSON.stringify(url('index.js'))});
      console.log(typeof sources.fromShards, typeof operators.decode, typeof sinks.selectBackend, typeof root.createLoader);`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'function function function function\n');
    assert.doesNotMatch(r.stderr, /blocked:/);
  });

  it('streams, decodes and batches the embedded shards (the README quickstart) without them', () => {
    const r = blocked(`
      const { createLoader, fromShards } = await import(${JSON.stringify(url('sources/index.js'))});
      const { decode, batch } = await import(${JSON.stringify(url('operators/index.js'))});
      const shards = ${JSON.stringify(shards)};
      const it = createLoader(fromShards(shards, { seed: 42, shuffle: 100 }), decode({ image: 'gray' }), batch(64)).iterate();
      let n = 0;
      for await (const b of it) n += b.png.shape[0];
      const a = it.accounting();
      console.log(n, a.seen, a.yielded);`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '3000 3000 3000\n'); // every image, in 47 batches (the last one partial)
    assert.doesNotMatch(r.stderr, /blocked:/);
  });

  it('selectBackend (the sinks) loads TF.js on first use and, without it, fails with one line naming the install command', () => {
    const r = blocked(`
      const { selectBackend } = await import(${JSON.stringify(url('sinks/index.js'))});
      await selectBackend({ backend: 'cpu' }).then(() => console.log('selected'), (e) => console.log(e.name + ': ' + e.message));`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      'MissingPackageError: Cannot select a TF.js backend as the package @tensorflow/tfjs-core is not installed: run npm install @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0\n',
    );
    assert.match(r.stderr, /blocked: @tensorflow\/tfjs-core/);
  });

  it('a video decode needs no package, only an ffmpeg binary (spawned directly): a failing one is reported as such', () => {
    const r = blocked(`
      const { VideoFrameDecoder } = await import(${JSON.stringify(url('sources/video/video-frame-decoder.js'))});
      const decoder = new VideoFrameDecoder({ ffmpeg: { path: '/bin/false', source: 'env' } });
      await decoder
        .decode({ bytes: new Uint8Array(16), extension: 'mp4', size: 32, crop: 32, threads: 1 })
        .then(() => console.log('decoded'), (e) => console.log(e.name + ': ' + e.message));
      decoder.close();`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'VideoDecodeFailure: ffmpeg exited with code 1\n');
    assert.doesNotMatch(r.stderr, /blocked:/);
  });

  it('the CLI lists its pipelines without them', () => {
    const r = spawnSync(process.execPath, ['--import', hook, cli, 'list'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /fmnist-stream/);
    assert.match(r.stdout, /fmnist-gan/);
    assert.doesNotMatch(r.stderr, /blocked:/);
  });
});
