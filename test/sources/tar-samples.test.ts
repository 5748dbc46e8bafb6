import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { readTarSamples, splitKeyField, type ShardItem } from '../../sources/tar-samples.js';
import { openShard } from '../../sources/open-shard.js';
import { SampleError, ShardError } from '../../sources/errors.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { writeTarWithPython, type PyEntry } from '../helpers/python-tar.js';
import { tempDir } from '../helpers/temp-dir.js';
import { drain } from './fixtures.js';

const dir = tempDir();
const bytes = (s: string) => Buffer.from(s);

/** Chunks a buffer as a stream would deliver it (sizes cycle through `sizes`). */
function chunked(data: Buffer, sizes: readonly number[] = [data.length || 1]): Readable {
  const chunks: Buffer[] = [];
  for (let pos = 0, i = 0; pos < data.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length] as number);
    chunks.push(data.subarray(pos, pos + n));
    pos += n;
  }
  return Readable.from(chunks, { objectMode: false });
}

/** A compact view of items: key, kind, and fields as text (binary fields as their length). */
function view(items: readonly ShardItem[]): unknown[] {
  return items.map((item) =>
    item.kind === 'bad'
      ? { bad: item.key, index: item.index, reason: item.error.reason }
      : {
          key: item.key,
          index: item.index,
          fields: Object.fromEntries([...item.fields].map(([f, b]) => [f, b.toString('latin1')])),
        },
  );
}

const LONG_DIR = `${'d'.repeat(60)}/${'e'.repeat(60)}`; // ustar splits this into prefix + name
const LONGER = `${'p'.repeat(120)}/${'q'.repeat(100)}/${'r'.repeat(60)}`; // > 255 chars: gnu/pax only

const GROUPING_ENTRIES: PyEntry[] = [
  { name: '__meta__', data: bytes('skipped: top-level meta') },
  { name: '__folder__/', type: 'dir' },
  { name: '__folder__/inner.txt', data: bytes('skipped: inside a top-level meta folder') },
  { name: 'a/b/x.seg.png', data: bytes('seg') },
  { name: 'a/b/x.cls', data: bytes('1') },
  { name: 'somedir', type: 'dir' },
  { name: 'a/b/x.TXT', data: bytes('upper') }, // still key a/b/x after a skipped directory: same sample
  { name: 'dir.v1/y.png', data: bytes('y') },
  { name: 'z.a.b.c', data: bytes('dots') },
  { name: 'link.png', type: 'symlink' },
  { name: 'noext', data: bytes('skipped: no extension') },
  { name: 'r.a', data: bytes('r1') },
  { name: 'q.a', data: bytes('q') },
  { name: 'r.b', data: bytes('r2') }, // not adjacent to the first r: a second sample
  { name: 'sub/__y__.txt', data: bytes('not top-level: a sample') },
  { name: 'e.empty', data: bytes('') },
  { name: `${LONG_DIR}/k.jpg`, data: bytes('long') },
  { name: 'last.Cls', data: bytes('9') },
];

const GROUPED = [
  { key: 'a/b/x', fields: { 'seg.png': 'seg', cls: '1', txt: 'upper' } },
  { key: 'dir.v1/y', fields: { png: 'y' } },
  { key: 'z', fields: { 'a.b.c': 'dots' } },
  { key: 'r', fields: { a: 'r1' } },
  { key: 'q', fields: { a: 'q' } },
  { key: 'r', fields: { b: 'r2' } },
  { key: 'sub/__y__', fields: { txt: 'not top-level: a sample' } },
  { key: 'e', fields: { empty: '' } },
  { key: `${LONG_DIR}/k`, fields: { jpg: 'long' } },
  { key: 'last', fields: { cls: '9' } },
].map((s, index) => ({ ...s, index }));

describe('splitKeyField', () => {
  it('splits by the WebDataset regex and lower-cases the field', () => {
    assert.deepEqual(splitKeyField('a/b/x.seg.png'), { key: 'a/b/x', field: 'seg.png' });
    assert.deepEqual(splitKeyField('dir.v1/x.png'), { key: 'dir.v1/x', field: 'png' });
    assert.deepEqual(splitKeyField('x.a.b.c'), { key: 'x', field: 'a.b.c' });
    assert.deepEqual(splitKeyField('IMG.JPEG'), { key: 'IMG', field: 'jpeg' });
    assert.deepEqual(splitKeyField('x.'), { key: 'x', field: '' });
    assert.equal(splitKeyField('noext'), null);
    assert.equal(splitKeyField('dir.v1/noext'), null);
    assert.equal(splitKeyField('.hidden'), null);
  });

  it('agrees with the regex as Python applies it, name by name', () => {
    const names = [
      'a/b/x.seg.png',
      'dir.v1/x.png',
      'x.a.b.c',
      'A.JPG',
      'noext',
      '.hidden',
      'a/.hidden',
      'a.b/c',
      'x.',
      '/abs/y.png',
      'a//b.c',
      'ü/ß.TXT',
      'x.tar.gz',
      'd.v/e.f/g',
    ];
    const script = `import re, sys, json
out = []
for n in json.load(sys.stdin):
    m = re.match(r"^((?:.*/|)[^.]+)[.]([^/]*)$", n)
    out.append(None if m is None else {"key": m.group(1), "field": m.group(2).lower()})
print(json.dumps(out))`;
    const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(names), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(names.map(splitKeyField), JSON.parse(r.stdout));
  });
});

describe('readTarSamples on tars written by Python tarfile', () => {
  for (const format of ['ustar', 'gnu', 'pax'] as const) {
    for (const gzip of [false, true]) {
      it(`groups exactly as webdataset (${format}${gzip ? ', gzip' : ''})`, async () => {
        const path = join(dir, `group-${format}.tar${gzip ? '.gz' : ''}`);
        writeTarWithPython(path, GROUPING_ENTRIES, format, gzip);
        const { items, error } = await drain(readTarSamples(openShard(path), path));
        assert.equal(error, undefined);
        assert.deepEqual(view(items), GROUPED);
      });
    }
  }

  for (const format of ['gnu', 'pax'] as const) {
    it(`reads names longer than 100 and 255 chars (${format})`, async () => {
      const path = join(dir, `long-${format}.tar`);
      const long100 = `${'n'.repeat(150)}`;
      writeTarWithPython(
        path,
        [
          { name: `${long100}.png`, data: bytes('a') },
          { name: `${long100}.cls`, data: bytes('b') },
          { name: `${LONGER}/s.Seg.PNG`, data: bytes('c') },
          { name: `${'ü'.repeat(90)}.txt`, data: bytes('utf8 name') },
        ],
        format,
      );
      const { items, error } = await drain(readTarSamples(openShard(path), path));
      assert.equal(error, undefined);
      assert.deepEqual(view(items), [
        { key: long100, index: 0, fields: { png: 'a', cls: 'b' } },
        { key: `${LONGER}/s`, index: 1, fields: { 'seg.png': 'c' } },
        { key: 'ü'.repeat(90), index: 2, fields: { txt: 'utf8 name' } },
      ]);
    });
  }

  it('detects gzip by its magic bytes whatever the name, and reads .tgz', async () => {
    const gz = join(dir, 'group-gnu.tar.gz');
    writeTarWithPython(gz, GROUPING_ENTRIES, 'gnu', true);
    const disguised = join(dir, 'disguised.tar');
    const tgz = join(dir, 'named.tgz');
    copyFileSync(gz, disguised);
    copyFileSync(gz, tgz);
    for (const path of [disguised, tgz]) {
      const { items, error } = await drain(readTarSamples(openShard(path), path));
      assert.equal(error, undefined);
      assert.deepEqual(view(items), GROUPED);
    }
  });

  it('reads large entries (views and copies) under any chunking', async () => {
    const path = join(dir, 'large.tar');
    const big = Buffer.alloc(700_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    writeTarWithPython(path, [
      { name: 'big.bin', data: big },
      { name: 'big.cls', data: bytes('7') },
      { name: 'mid.bin', data: big.subarray(0, 3000) },
    ]);
    const data = readFileSync(path);
    for (const sizes of [[data.length], [1 << 20], [511, 513, 1000], [100_000]]) {
      const { items, error } = await drain(readTarSamples(chunked(data, sizes), path));
      assert.equal(error, undefined);
      assert.equal(items.length, 2);
      const first = items[0] as Extract<ShardItem, { kind: 'sample' }>;
      assert.ok(first.fields.get('bin')?.equals(big));
      assert.equal(first.fields.get('cls')?.toString(), '7');
      assert.ok((items[1] as Extract<ShardItem, { kind: 'sample' }>).fields.get('bin')?.equals(big.subarray(0, 3000)));
    }
  });

  it('gives the same samples under arbitrary chunking (property)', async () => {
    const path = join(dir, 'chunking.tar');
    writeTarWithPython(path, GROUPING_ENTRIES, 'pax');
    const data = readFileSync(path);
    const expected = view((await drain(readTarSamples(chunked(data), path))).items);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
        const { items, error } = await drain(readTarSamples(chunked(data, sizes), path));
        assert.equal(error, undefined);
        assert.deepEqual(view(items), expected);
      }),
      { numRuns: 60 },
    );
  });
});

describe('readTarSamples on tars written by ShardWriter', () => {
  it('round-trips samples, counting entries and bytes', async () => {
    const w = new ShardWriter(join(dir, 'writer-%03d.tar'));
    const samples = Array.from({ length: 50 }, (_, i) => ({
      __key__: `k${i}`,
      png: Buffer.alloc(i * 13, i),
      cls: String(i % 10),
      'seg.png': `seg${i}`,
    }));
    for (const s of samples) await w.write(s);
    const [path] = await w.close();
    const counters = { entries: 0, bytes: 0 };
    const { items, error } = await drain(readTarSamples(openShard(path as string), path as string, counters));
    assert.equal(error, undefined);
    assert.equal(items.length, 50);
    items.forEach((item, i) => {
      assert.equal(item.kind, 'sample');
      if (item.kind !== 'sample') return;
      assert.equal(item.key, `k${i}`);
      assert.equal(item.index, i);
      assert.deepEqual([...item.fields.keys()], ['png', 'cls', 'seg.png']);
      assert.ok(item.fields.get('png')?.equals(Buffer.alloc(i * 13, i)));
      assert.equal(item.fields.get('cls')?.toString(), String(i % 10));
    });
    assert.equal(counters.entries, 150);
    assert.equal(
      counters.bytes,
      samples.reduce((a, s) => a + s.png.length + s.cls.length + s['seg.png'].length, 0),
    );
  });
});

describe('readTarSamples on bad samples', () => {
  it('yields a duplicate field as a bad sample (reason duplicate-field) and goes on', async () => {
    const path = join(dir, 'dup.tar');
    writeTarWithPython(path, [
      { name: 'a.txt', data: bytes('a') },
      { name: 'd.txt', data: bytes('1') },
      { name: 'd.TXT', data: bytes('2') }, // the same field once lower-cased
      { name: 'd.cls', data: bytes('3') },
      { name: 'k.__key__', data: bytes('would overwrite the key') },
      { name: 'b.txt', data: bytes('b') },
    ]);
    const { items, error } = await drain(readTarSamples(openShard(path), path));
    assert.equal(error, undefined);
    assert.deepEqual(
      items.map((i) => [i.kind, i.key, i.index]),
      [
        ['sample', 'a', 0],
        ['bad', 'd', 1],
        ['bad', 'k', 2],
        ['sample', 'b', 3],
      ],
    );
    const bad = items[1] as Extract<ShardItem, { kind: 'bad' }>;
    assert.ok(bad.error instanceof SampleError);
    assert.equal(bad.error.reason, 'duplicate-field');
    assert.equal(bad.error.url, path);
    assert.equal(bad.error.key, 'd');
    assert.equal(bad.error.field, 'txt');
    assert.match(bad.error.message, /appears twice/);
  });
});

describe('readTarSamples on broken shards', () => {
  const entries: PyEntry[] = Array.from({ length: 6 }, (_, i) => [
    { name: `s${i}.png`, data: Buffer.alloc(700 + i * 100, i) },
    { name: `s${i}.cls`, data: bytes(String(i)) },
  ]).flat();
  const path = join(dir, 'whole.tar');
  writeTarWithPython(path, entries, 'gnu');
  const whole = readFileSync(path);

  /** Offsets of each header in the tar, and of the end-of-archive marker. */
  function layout(): { headers: number[]; end: number } {
    const headers: number[] = [];
    let off = 0;
    for (;;) {
      if (whole.subarray(off, off + 512).every((b) => b === 0)) return { headers, end: off };
      headers.push(off);
      const size = parseInt(
        whole
          .toString('latin1', off + 124, off + 136)
          .replace(/\0.*$/, '')
          .trim() || '0',
        8,
      );
      off += 512 + Math.ceil(size / 512) * 512;
    }
  }

  async function readCut(length: number, gzip = false): Promise<{ items: ShardItem[]; error?: unknown }> {
    const data = gzip ? gzipSync(whole).subarray(0, length) : whole.subarray(0, length);
    const file = join(dir, `cut-${length}${gzip ? '.tar.gz' : '.tar'}`);
    writeFileSync(file, data);
    return drain(readTarSamples(openShard(file), file));
  }

  it('cut inside an entry: the samples before are whole, the cut one is bad, then a ShardError', async () => {
    const { headers } = layout();
    const cut = (headers[6] as number) + 512 + 10; // inside the data of s3.png (headers: s0.png, s0.cls, s1.png, ...)
    const { items, error } = await readCut(cut);
    assert.ok(error instanceof ShardError, String(error));
    assert.equal(error.reason, 'truncated-shard');
    assert.match(error.message, /middle of an entry/);
    assert.deepEqual(
      items.map((i) => [i.kind, i.key]),
      [
        ['sample', 's0'],
        ['sample', 's1'],
        ['sample', 's2'],
        ['bad', 's3'],
      ],
    );
    assert.equal((items[3] as Extract<ShardItem, { kind: 'bad' }>).error.reason, 'truncated-shard');
  });

  it('cut inside a header: the sample before it may be incomplete, so it is bad', async () => {
    const { headers } = layout();
    const { items, error } = await readCut((headers[6] as number) + 100);
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'truncated-shard');
    assert.match(error.message, /middle of a header/);
    assert.deepEqual(
      items.map((i) => [i.kind, i.key]),
      [
        ['sample', 's0'],
        ['sample', 's1'],
        ['bad', 's2'],
      ],
    );
  });

  it('cut at an entry boundary (no end-of-archive marker) is a truncation too', async () => {
    const { end } = layout();
    const { items, error } = await readCut(end);
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'truncated-shard');
    assert.equal(items.filter((i) => i.kind === 'sample').length, 5);
    assert.deepEqual(items.at(-1) && [items.at(-1)?.kind, items.at(-1)?.key], ['bad', 's5']);
  });

  it('at every cut: never a partial sample, at most one bad, a clear ShardError (property)', async () => {
    const { end } = layout();
    const all = view((await drain(readTarSamples(chunked(whole), path))).items) as { key: string }[];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: whole.length }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 4 }),
        async (cut, sizes) => {
          const { items, error } = await drain(readTarSamples(chunked(whole.subarray(0, cut), sizes), 'mem'));
          const good = items.filter((i) => i.kind === 'sample');
          const bad = items.filter((i) => i.kind === 'bad');
          assert.deepEqual(view(good), all.slice(0, good.length), 'good samples are a whole prefix');
          if (cut >= end + 512) {
            assert.equal(error, undefined);
            assert.equal(good.length, all.length);
            return;
          }
          assert.ok(error instanceof ShardError, `cut ${cut}: ${String(error)}`);
          assert.ok(['truncated-shard', 'not-a-tar', 'empty-shard'].includes(error.reason), error.reason);
          assert.ok(bad.length <= 1);
          if (bad.length === 1) {
            assert.equal(bad[0]?.key, all[good.length]?.key);
            assert.equal(bad[0]?.index, good.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a cut gzip stream is a truncated shard', async () => {
    const gzLength = gzipSync(whole).length;
    const { items, error } = await readCut(Math.floor(gzLength / 2), true);
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'truncated-shard');
    assert.ok(items.every((i, k) => i.key === `s${k}`));
  });

  it('an empty file, a short file, a text file and a bzip2 file are clear errors', async () => {
    const cases: [string, Buffer, string, RegExp][] = [
      ['zero.tar', Buffer.alloc(0), 'empty-shard', /empty/],
      ['short.tar', bytes('hello'), 'not-a-tar', /not a tar/],
      ['text.tar', Buffer.alloc(4000, 'not a tar at all\n'), 'not-a-tar', /not a tar/],
      ['compressed.tar.bz2', Buffer.concat([bytes('BZh91AY&SY'), Buffer.alloc(2000, 1)]), 'not-a-tar', /bzip2/],
      ['badgz.tar.gz', Buffer.alloc(3000, 7), 'not-a-tar', /gzip/],
    ];
    for (const [name, data, reason, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, data);
      const { items, error } = await drain(readTarSamples(openShard(file), file));
      assert.deepEqual(items, [], name);
      assert.ok(error instanceof ShardError, `${name}: ${String(error)}`);
      assert.equal(error.reason, reason, name);
      assert.match(error.message, message, name);
      assert.equal(error.url, file);
    }
  });

  it('a corrupt header later in the shard is a ShardError after the samples before it', async () => {
    const { headers } = layout();
    const corrupt = Buffer.from(whole);
    const at = (headers[4] as number) + 10;
    corrupt[at] = corrupt.readUInt8(at) ^ 0xff; // breaks the checksum of s2.png's header
    const { items, error } = await drain(readTarSamples(chunked(corrupt), 'mem'));
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'corrupt-shard');
    assert.deepEqual(
      items.map((i) => [i.kind, i.key]),
      [
        ['sample', 's0'],
        ['bad', 's1'],
      ],
    );
  });

  it('a missing file is a ShardError with reason shard-open', async () => {
    const file = join(dir, 'missing.tar');
    const { items, error } = await drain(readTarSamples(openShard(file), file));
    assert.deepEqual(items, []);
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'shard-open');
    assert.equal(error.url, file);
  });

  it('returning early destroys the byte stream', async () => {
    const stream = openShard(path);
    const gen = readTarSamples(stream, path);
    const first = await gen.next();
    assert.equal(first.done, false);
    await gen.return(undefined);
    assert.equal(stream.destroyed, true);
  });
});
