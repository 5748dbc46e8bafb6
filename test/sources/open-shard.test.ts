import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { openShard, shardPath } from '../../sources/open-shard.js';
import { readTarSamples } from '../../sources/tar-samples.js';
import { ShardError } from '../../sources/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { drain, openFds, quiet, settledFds, writeShards } from './fixtures.js';

const dir = tempDir();

async function keys(
  url: string,
  options: Parameters<typeof openShard>[1] = {},
): Promise<{ keys: string[]; error?: unknown }> {
  const { items, error } = await drain(readTarSamples(openShard(url, options), url));
  return { keys: items.map((i) => `${i.kind === 'bad' ? '!' : ''}${i.key}`), error };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('openShard', () => {
  it('opens local paths and file: URLs (file:///abs, file:/abs, file:relative)', async () => {
    const { paths } = await writeShards(dir, 1, 5);
    const path = paths[0] as string;
    const expected = ['s0-00000', 's0-00001', 's0-00002', 's0-00003', 's0-00004'];
    assert.deepEqual((await keys(path)).keys, expected);
    assert.deepEqual((await keys(pathToFileURL(path).href)).keys, expected);
    assert.deepEqual((await keys(`file:${path}`)).keys, expected);
    assert.deepEqual((await keys(`file:${relative(process.cwd(), path)}`)).keys, expected);
    assert.equal(shardPath('file:///a/b%20c.tar'), '/a/b c.tar');
    assert.equal(shardPath('plain/path.tar'), 'plain/path.tar');
  });

  it('reports a file: URL with a host as a ShardError from the stream', async () => {
    const { keys: k, error } = await keys('file://somehost/x.tar');
    assert.deepEqual(k, []);
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'shard-open');
  });

  it('decompresses gzip named .tar.gz / .tgz or recognised by its magic bytes', async () => {
    const { paths } = await writeShards(dir, 1, 3, { prefix: 'gz' });
    const raw = readFileSync(paths[0] as string);
    for (const name of ['x.tar.gz', 'x.tgz', 'x.tar', 'x.TAR.GZ']) {
      const p = join(dir, name);
      writeFileSync(p, gzipSync(raw));
      assert.deepEqual((await keys(p)).keys, ['s0-00000', 's0-00001', 's0-00002'], name);
    }
  });

  it('refuses pipe: without allowPipe, and reads pipe:cat with it', async () => {
    const { paths } = await writeShards(dir, 1, 4, { prefix: 'pipe' });
    assert.throws(
      () => openShard(`pipe:cat ${paths[0]}`),
      (e: unknown) => e instanceof ShardError && e.reason === 'pipe-refused',
    );
    assert.deepEqual((await keys(`pipe:cat ${paths[0]}`, { allowPipe: true })).keys, [
      's0-00000',
      's0-00001',
      's0-00002',
      's0-00003',
    ]);
  });

  it('a failing pipe: command is a ShardError carrying its stderr', async () => {
    const { keys: k, error } = await keys('pipe:echo broken >&2; exit 3', { allowPipe: true });
    assert.deepEqual(k, []);
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'shard-open');
    assert.match(error.message, /exited with 3: broken/);
  });

  it('closing a pipe: shard early kills the whole command', async () => {
    const { paths } = await writeShards(dir, 1, 3000, { prefix: 'bigpipe', binBytes: 1000 });
    const pidFile = join(dir, 'pipe.pid');
    const url = `pipe:echo $$ > ${pidFile}; cat ${paths[0]}; sleep 60`;
    const gen = readTarSamples(openShard(url, { allowPipe: true }), url);
    assert.equal((await gen.next()).done, false);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(alive(pid));
    await gen.return(undefined);
    for (let i = 0; i < 200 && alive(pid); i++) await quiet(1);
    assert.equal(alive(pid), false);
  });

  it('releases the file handle when the reader stops early', async () => {
    const { paths } = await writeShards(dir, 1, 3000, { prefix: 'fd', binBytes: 1000 });
    await quiet();
    const before = openFds();
    const gens = Array.from({ length: 5 }, () => readTarSamples(openShard(paths[0] as string), paths[0] as string));
    for (const g of gens) assert.equal((await g.next()).done, false);
    assert.ok(openFds() >= before + 5);
    for (const g of gens) await g.return(undefined);
    assert.equal(await settledFds(before), before);
  });
});
