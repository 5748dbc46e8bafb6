import { userVideoMoco } from './internal/user-video-moco.js';

/**
 * Video MoCo (+ temporal NDA) on UCF101 shards from `ndaflow prepare ucf101 --root DIR --split 1 --out
 * OUT` (`ndaflow run ucf101-video-moco --shards 'OUT/train-{000000..NNNNNN}.tar' --nda shuffle`).
 * See `userVideoMoco` for the clips, views and probe.
 */
export const ucf101VideoMoco = userVideoMoco({
  name: 'ucf101-video-moco',
  dataset: 'UCF101',
  prepare: 'ndaflow prepare ucf101 --root UCF101_DIR --split 1 --out DIR',
  description:
    'video MoCo (+ temporal NDA, --nda) on UCF101 shards (--shards from `ndaflow prepare ucf101`), 16x112x112 clips -> linear probe of the 101 classes',
});
