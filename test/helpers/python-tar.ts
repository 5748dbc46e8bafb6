import { spawnSync } from 'node:child_process';

/** One entry for {@link writeTarWithPython}: a regular file (base64 data), a directory or a symlink. */
export interface PyEntry {
  readonly name: string;
  readonly data?: Uint8Array;
  readonly type?: 'file' | 'dir' | 'symlink';
}

/**
 * Writes a tar with Python's `tarfile` (the module WebDataset's writer uses), in `ustar`, `gnu` or
 * `pax` format, optionally gzipped, so tests read exactly what Python users produce.
 */
export function writeTarWithPython(
  path: string,
  entries: readonly PyEntry[],
  format: 'ustar' | 'gnu' | 'pax' = 'pax',
  gzip = false,
): void {
  const script = `
import sys, json, tarfile, io, base64
spec = json.load(sys.stdin)
fmt = {'ustar': tarfile.USTAR_FORMAT, 'gnu': tarfile.GNU_FORMAT, 'pax': tarfile.PAX_FORMAT}[spec['format']]
with tarfile.open(spec['path'], 'w:gz' if spec['gzip'] else 'w', format=fmt) as t:
    for e in spec['entries']:
        ti = tarfile.TarInfo(e['name'])
        ti.mtime = 0
        if e['type'] == 'dir':
            ti.type = tarfile.DIRTYPE
            t.addfile(ti)
        elif e['type'] == 'symlink':
            ti.type = tarfile.SYMTYPE
            ti.linkname = 'target'
            t.addfile(ti)
        else:
            data = base64.b64decode(e['data'])
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
`;
  const spec = {
    path,
    format,
    gzip,
    entries: entries.map((e) => ({
      name: e.name,
      type: e.type ?? 'file',
      data: Buffer.from(e.data ?? new Uint8Array()).toString('base64'),
    })),
  };
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(spec), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 tarfile failed: ${r.stderr}`);
}
