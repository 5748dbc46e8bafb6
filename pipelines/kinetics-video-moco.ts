import { userVideoMoco } from './internal/user-video-moco.js';

/**
 * Video MoCo (+ temporal NDA) on Kinetics shards from `ndaflow prepare kinetics --csv FILE --videos DIR
 * --out OUT` (`ndaflow run kinetics-video-moco --shards 'OUT/train-{000000..NNNNNN}.tar' --nda shuffle`).
 * See `userVideoMoco` for the clips, views and probe.
 */
export const kineticsVideoMoco = userVideoMoco({
  name: 'kinetics-video-moco',
  dataset: 'Kinetics',
  prepare: 'ndaflow prepare kinetics --csv kinetics400/train.csv --videos DIR --out OUT',
  description:
    'video MoCo (+ temporal NDA, --nda) on Kinetics shards (--shards from `ndaflow prepare kinetics`), 16x112x112 clips -> linear probe of the classes',
});
