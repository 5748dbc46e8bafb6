import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TarFormatError, TarParser, type TarEntry } from '../../sources/tar-parser.js';

/** A hand-made header block: fields by offset, checksum computed (unsigned, or signed as old writers did). */
function header(
  name: string,
  size: number,
  type: string,
  options: { magic?: string; prefix?: string; base256?: boolean; signed?: boolean } = {},
): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  b.write('0000644\0', 100, 'latin1');
  if (options.base256) {
    b[124] = 0x80;
    let v = size;
    for (let i = 135; i > 124; i--) {
      b[i] = v % 256;
      v = Math.floor(v / 256);
    }
  } else {
    b.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  }
  b.write('00000000000\0', 136, 'latin1');
  b.write(type, 156, 'latin1');
  if (options.magic !== undefined) b.write(options.magic, 257, 'latin1');
  if (options.prefix) b.write(options.prefix, 345, 155, 'utf8');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += options.signed && c >= 128 ? c - 256 : c;
  b.write(`${(sum & 0o777777).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

function body(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

function file(name: string, data: Buffer | string, options?: Parameters<typeof header>[3]): Buffer {
  const d = Buffer.from(data);
  return Buffer.concat([header(name, d.length, '0', { magic: 'ustar\u000000', ...options }), body(d)]);
}

function pax(records: Record<string, string>, global = false): Buffer {
  let text = '';
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    let len = rest.length + 1;
    while (String(len).length + Buffer.byteLength(rest) !== len) len = String(len).length + Buffer.byteLength(rest);
    text += `${len}${rest}`;
  }
  const d = Buffer.from(text);
  return Buffer.concat([header('././@PaxHeader', d.length, global ? 'g' : 'x', { magic: 'ustar\u000000' }), body(d)]);
}

const END = Buffer.alloc(1024);

function parse(
  data: Buffer,
  chunk = data.length || 1,
): { entries: { name: string; data: string }[]; end: string; parser: TarParser } {
  const parser = new TarParser();
  const entries: TarEntry[] = [];
  for (let pos = 0; pos < data.length; pos += chunk) {
    for (const e of parser.feed(data.subarray(pos, pos + chunk))) if (e.kind === 'entry') entries.push(e);
    if (parser.done) break;
  }
  return {
    entries: entries.map((e) => ({ name: e.name, data: e.data.toString('latin1') })),
    end: parser.finish(),
    parser,
  };
}

describe('TarParser', () => {
  it('checks the checksum of headers that sit at any byte offset (the unaligned byte-sum path), with bytes >= 128 in the name', () => {
    // Header names in UTF-8 with bytes >= 128 first, where a signed and an unsigned sum differ, so the
    // signed-sum fallback cannot hide a wrong unsigned sum; one byte wrong anywhere must be refused.
    const tar = Buffer.concat([file('\u00e9t\u00e9.txt', 'summer'), file('\u00fcber/\u00df.txt', 'street'), END]);
    for (const offset of [1, 2, 3, 5]) {
      const shifted = Buffer.from(new ArrayBuffer(tar.length + 8), offset, tar.length);
      tar.copy(shifted);
      assert.equal((shifted.byteOffset & 3) !== 0, true);
      assert.deepEqual(parse(shifted).entries, [
        { name: '\u00e9t\u00e9.txt', data: 'summer' },
        { name: '\u00fcber/\u00df.txt', data: 'street' },
      ]);
      // the sum must cover every byte: the first name byte, the last byte, and no checksum byte
      for (const at of [0, 1, 147, 156, 511]) {
        const bad = Buffer.from(new ArrayBuffer(tar.length + 8), offset, tar.length);
        tar.copy(bad);
        bad[at] = (bad[at]! + 1) & 0xff;
        assert.throws(() => parse(bad), /checksum is wrong/, `offset ${offset}, byte ${at}`);
      }
    }
  });

  it('reads ustar prefixes, pax paths and sizes, GNU long names, base-256 sizes and old v7 headers', () => {
    const longName = `${'l'.repeat(300)}.txt`;
    const data = Buffer.concat([
      file('name.txt', 'with prefix', { prefix: 'the/prefix' }),
      file('gnu-prefix.txt', 'a GNU header ignores the prefix area', { magic: 'ustar  \0', prefix: 'ignored' }),
      pax({ path: 'pax/path/ü.png', comment: 'ignored' }),
      file('short', 'pax path'),
      Buffer.concat([
        header('././@LongLink', longName.length + 1, 'L', { magic: 'ustar  \0' }),
        body(Buffer.from(`${longName}\0`)),
      ]),
      file('cut', 'long name', { magic: 'ustar  \0' }),
      Buffer.concat([header('././@LongLink', 7, 'K'), body(Buffer.from('target\0'))]),
      file('big.bin', 'base-256 size', { base256: true }),
      file('v7.txt', 'no magic', { magic: '' }),
      Buffer.concat([header('v7dir/', 0, '\0')]),
      Buffer.concat([header('dir', 0, '5'), header('link', 0, '2'), header('hard', 0, '1')]),
      pax({ comment: 'global' }, true),
      file('signed\u00ff.txt', 'signed checksum', { signed: true }),
      file('empty.txt', ''),
      END,
      file('after-end.txt', 'ignored as tarfile does'),
    ]);
    const expected = [
      { name: 'the/prefix/name.txt', data: 'with prefix' },
      { name: 'gnu-prefix.txt', data: 'a GNU header ignores the prefix area' },
      { name: 'pax/path/ü.png', data: 'pax path' },
      { name: longName, data: 'long name' },
      { name: 'big.bin', data: 'base-256 size' },
      { name: 'v7.txt', data: 'no magic' },
      { name: 'signed\u00ff.txt', data: 'signed checksum' },
      { name: 'empty.txt', data: '' },
    ];
    for (const chunk of [data.length, 512, 100, 7, 1]) {
      const r = parse(data, chunk);
      assert.deepEqual(r.entries, expected, `chunk ${chunk}`);
      assert.equal(r.end, 'complete');
    }
  });

  it('a pax size overrides the header size', () => {
    const d = Buffer.from('0123456789');
    const data = Buffer.concat([
      pax({ size: '10' }),
      header('p.bin', 0, '0', { magic: 'ustar\u000000' }),
      body(d),
      END,
    ]);
    assert.deepEqual(parse(data).entries, [{ name: 'p.bin', data: '0123456789' }]);
  });

  it('reports how the input ended', () => {
    const one = file('a.txt', 'x'.repeat(600));
    assert.equal(parse(Buffer.alloc(0)).end, 'empty');
    assert.equal(parse(Buffer.from('abc')).end, 'too-short');
    assert.equal(parse(one).end, 'no-end-marker');
    assert.equal(parse(Buffer.concat([one, Buffer.alloc(100)])).end, 'mid-header');
    assert.equal(parse(one.subarray(0, 700)).end, 'mid-entry');
    assert.equal(parse(one.subarray(0, 1200)).end, 'mid-entry'); // inside the padding
    assert.equal(parse(Buffer.concat([one, Buffer.alloc(512)])).end, 'complete');
  });

  it('names the entry whose data a cut interrupts', () => {
    const parser = new TarParser();
    const data = file('a.txt', 'x'.repeat(600));
    Array.from(parser.feed(data.subarray(0, 700)));
    assert.equal(parser.pendingEntry, 'a.txt');
    Array.from(parser.feed(data.subarray(700, 1200)));
    assert.equal(parser.pendingEntry, undefined); // in the padding: the entry is whole
  });

  it('rejects a first block that is not a header as not-a-tar, a later one as corrupt', () => {
    assert.throws(
      () => parse(Buffer.alloc(1024, 'x')),
      (e: unknown) => e instanceof TarFormatError && e.kind === 'not-a-tar',
    );
    const bad = Buffer.concat([file('a.txt', 'a'), file('b.txt', 'b'), END]);
    bad[512 * 2 + 3] = bad.readUInt8(512 * 2 + 3) ^ 1;
    assert.throws(
      () => parse(bad),
      (e: unknown) => e instanceof TarFormatError && e.kind === 'corrupt-header',
    );
    const badNumber = header('n.txt', 1, '0');
    badNumber.write('9', 130, 'latin1');
    assert.throws(() => parse(badNumber), TarFormatError);
  });

  it('announces each file before reading its data, and stops parsing where the consumer stops pulling', () => {
    const data = Buffer.concat([file('a.txt', 'a'), file('b.txt', 'b'), file('c.txt', 'c'), END]);
    const parser = new TarParser();
    const gen = parser.feed(data);
    assert.deepEqual(gen.next().value, { kind: 'start', name: 'a.txt' });
    assert.equal(parser.pendingEntry, 'a.txt');
    assert.deepEqual({ ...gen.next().value, data: undefined }, { kind: 'entry', name: 'a.txt', data: undefined });
    assert.equal(parser.headers, 1); // b's header is not parsed before it is asked for
    assert.deepEqual(gen.next().value, { kind: 'start', name: 'b.txt' });
    assert.equal(parser.headers, 2);
  });
});
