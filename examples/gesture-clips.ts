// A complete dataset adapter in one file, for a made-up dataset, "Gesture Clips":
//   <root>/labels.tsv          a header line, then "<clip file>\t<gesture>\t<split>\t<signer>"
//   <root>/clips/<clip file>   the videos (any container ffmpeg reads)
// Write its shards (train-000000.tar, test-000000.tar, ...: video bytes + cls + json):
//   npx ndaflow prepare adapter dist-test/examples/gesture-clips.js /data/gesture-clips --out shards/gestures
// or in code: await writeDataset(gestureClips('/data/gesture-clips'), { out: 'shards/gestures', seed: 1 })
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, type DatasetAdapter, type DatasetItem } from '../index.js';

export default function gestureClips(root: string): DatasetAdapter {
  return {
    name: 'gesture-clips',
    root,
    onMissing: 'skip', // a listed clip that is absent is counted in `missing`, not fatal
    async list() {
      const file = join(root, 'labels.tsv');
      const lines = (await readFile(file, 'utf8')).split('\n');
      const rows = lines.slice(1).flatMap((text, i) => {
        if (text.trim() === '') return [];
        const [clip, gesture, split, signer] = text.trim().split('\t');
        if (!clip || !gesture || !split || !signer)
          throw new DatasetError(file, i + 2, 'a row must be "clip<TAB>gesture<TAB>split<TAB>signer"', text);
        return [{ clip, gesture, split, signer, line: i + 2 }];
      });
      const classes = [...new Set(rows.map((r) => r.gesture))].sort(); // class index = position
      const splits = new Map<string, DatasetItem[]>();
      for (const r of rows) {
        const item: DatasetItem = {
          key: r.clip.replace(/\.[^.]*$/, ''), // unique, no dots
          path: `clips/${r.clip}`, // relative to root; the field is its extension (webm, mp4, ...)
          label: classes.indexOf(r.gesture),
          meta: { signer: r.signer }, // added to the sample's json
          origin: `${file} line ${r.line}`, // named by errors and in `missing`
        };
        splits.set(r.split, [...(splits.get(r.split) ?? []), item]);
      }
      return { classes, splits: [...splits].map(([name, items]) => ({ name, items })) };
    },
  };
}
