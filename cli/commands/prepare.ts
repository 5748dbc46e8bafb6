import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { typeError } from '../../sources/errors.js';
import { convertCifar, type CifarSplit, type CifarVariant } from '../../sources/datasets/cifar.js';
import type { ConvertOptions, ConvertResult, PreparePart, ShardInfo } from '../../sources/datasets/convert-options.js';
import { partFromEnv } from '../../sources/launcher-env.js';
import { convertFashionMnist, FASHION_MNIST_DEBIAN_ROOT } from '../../sources/datasets/fashion-mnist.js';
import { convertCifar10C } from '../../sources/datasets/cifar10-c.js';
import { convertFolder } from '../../sources/datasets/folder.js';
import {
  convertDtd,
  convertPlaces365,
  convertTinyImagenet,
  type OodFolderResult,
} from '../../sources/datasets/ood-image-folders.js';
import { convertSvhn } from '../../sources/datasets/svhn.js';
import { convertKinetics } from '../../sources/datasets/kinetics.js';
import { convertMovingFmnist } from '../../sources/datasets/moving-fmnist.js';
import { convertUcf101 } from '../../sources/datasets/ucf101.js';
import { convertVideoFolder } from '../../sources/datasets/video-folder.js';
import type { DatasetAdapter } from '../../sources/datasets/dataset-adapter.js';
import { writeDataset, type DatasetResult } from '../../sources/datasets/write-dataset.js';
import { checkOutputFolder } from '../../sources/datasets/write-split.js';
import { onInterrupt, type Interrupt } from '../interrupt.js';
import { integerArg, progressEnabled } from '../options.js';
import { startProgress } from '../progress.js';

interface WriteFlags {
  out?: string;
  maxSamples: number;
  maxBytes: number;
  gzip: boolean;
  limit?: number;
  trainLimit?: number;
  testLimit?: number;
  splits: string;
  shuffleSeed?: number;
  part?: PreparePart | 'auto';
}

/** Parses `--part i/N` (0-based) or `auto`. */
function partArg(value: string): PreparePart | 'auto' {
  const v = value.trim();
  if (v === 'auto') return 'auto';
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count)
    throw new InvalidArgumentError(
      `Cannot use it as it must be i/N with 0 <= i < N (e.g. 0/3), or auto: current value is ${JSON.stringify(value)}`,
    );
  return { index, count };
}

/** The part to write: given, or read from the launcher (logged on stderr, as the run command logs its rank). */
function resolvePart(part: PreparePart | 'auto' | undefined): PreparePart | undefined {
  if (part !== 'auto') return part;
  const task = partFromEnv();
  process.stderr.write(
    `ndaflow: prepare part ${task.index}/${task.count} from ${task.source === 'none' ? 'no launcher variables' : `${task.source} (${task.variables.join(', ')})`}\n`,
  );
  return { index: task.index, count: task.count };
}

function addWriteOptions(
  command: Command,
  defaultOut: string | undefined,
  splitLimits: boolean,
  limit = true,
): Command {
  if (defaultOut === undefined) command.requiredOption('--out <dir>', 'folder the shards are written to');
  else command.option('--out <dir>', 'folder the shards are written to', defaultOut);
  command
    .option('--max-samples <n>', 'most samples per shard', integerArg(1), 10_000)
    .option('--max-bytes <n>', 'most bytes of entry data per shard', integerArg(1), 1e9)
    .option('--gzip', 'gzip every shard (.tar.gz)', false)
    .option(
      '--part <i/N>',
      'write only part i of N (0-based), for array jobs: shard k of each split is written by part k % N; the parts together are byte for byte a single run. auto: from SLURM_ARRAY_TASK_ID/COUNT, JOB_COMPLETION_INDEX/JOB_COMPLETIONS or RANK/WORLD_SIZE',
      partArg,
    );
  if (limit)
    command.option(
      '--limit <n>',
      splitLimits ? 'only the first N images of each split' : 'only the first N images',
      integerArg(0),
    );
  if (splitLimits) {
    command
      .option('--train-limit <n>', 'only the first N training images (over --limit)', integerArg(0))
      .option('--test-limit <n>', 'only the first N test images (over --limit)', integerArg(0))
      .addOption(new Option('--splits <list>', 'splits to convert, comma-separated').default('train,test'));
  }
  return command;
}

function parseSplits(list: string): ('train' | 'test')[] {
  const splits = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of splits) {
    if (s !== 'train' && s !== 'test')
      throw new RangeError(
        `Cannot choose the splits as each must be train or test: current value is ${JSON.stringify(s)}`,
      );
  }
  return splits as ('train' | 'test')[];
}

/** What a `prepare` command runs with: the converter's options, and what ends it. */
interface Conversion {
  readonly options: ConvertOptions;
  /** Stops the progress display. */
  readonly done: () => void;
  /** Ctrl-C / SIGTERM handling (its signal is in `options`). */
  readonly interrupt: Interrupt;
  /** The complete shards so far (what `onShard` reported). */
  readonly written: ShardInfo[];
  readonly label: string;
}

function convertOptions(flags: WriteFlags, command: Command, label: string): Conversion {
  const progress = startProgress({ label, enabled: progressEnabled(command) });
  const interrupt = onInterrupt({ label, beforeExit: () => progress.stop() });
  const written: ShardInfo[] = [];
  return {
    options: {
      out: flags.out as string,
      maxSamples: flags.maxSamples,
      maxBytes: flags.maxBytes,
      gzip: flags.gzip,
      part: resolvePart(flags.part),
      onProgress: (n) => progress.update(n),
      onShard: (shard) => written.push(shard),
      signal: interrupt.signal,
    },
    done: () => progress.stop(),
    interrupt,
    written,
    label,
  };
}

/** Prints what was written: per split the samples and shards with their sizes; stale shards as warnings. */
function report(result: ConvertResult, seconds: number): void {
  let total = 0;
  for (const split of result.splits) {
    total += split.samples;
    process.stdout.write(`${split.split}: ${split.samples} samples in ${split.shards.length} shard(s)\n`);
    for (const shard of split.shards) process.stdout.write(`  ${shard.path}  ${shard.bytes} bytes\n`);
    for (const stale of split.stale)
      process.stderr.write(
        `ndaflow: warning: ${stale} was not written now (left by an earlier run?); a glob over the folder would read it\n`,
      );
  }
  process.stdout.write(`wrote ${total} samples in ${seconds.toFixed(1)} s\n`);
}

/**
 * Runs a conversion: checks `--out` first (a one-line error), prints what was written at the end;
 * on an error or Ctrl-C/SIGTERM (the partial shard already removed by the writer) lists the complete
 * shards that stay, then rethrows the error or, interrupted, ends with exit code 130/143.
 */
async function timed(conversion: Conversion, run: () => Promise<ConvertResult>): Promise<void> {
  const { done, interrupt, written, label } = conversion;
  const start = performance.now();
  let result: ConvertResult;
  try {
    await checkOutputFolder(conversion.options.out);
    result = await run();
  } catch (err) {
    done();
    const kept =
      written.length === 0
        ? 'no complete shard was written'
        : `${written.length} complete shard(s) kept: ${written.map((s) => s.path).join(', ')}`;
    if (interrupt.received !== undefined) {
      process.stderr.write(`ndaflow: ${label}: stopped on ${interrupt.received}; ${kept}
`);
      interrupt.dispose();
      return;
    }
    interrupt.dispose();
    if (written.length > 0)
      process.stderr.write(`ndaflow: ${label}: ${kept}
`);
    throw err;
  }
  done();
  interrupt.dispose();
  report(result, (performance.now() - start) / 1000);
}

/** `limit` and per-split `limits` of a dataset written through an adapter, and its shuffle seed. */
function datasetLimits(flags: WriteFlags): {
  limit?: number;
  limits: Record<string, number | undefined>;
  seed?: number;
} {
  return { limit: flags.limit, limits: { train: flags.trainLimit, test: flags.testLimit }, seed: flags.shuffleSeed };
}

/**
 * Prints what a dataset adapter found besides the shards: the classes, the files it ignored and
 * the listed videos it did not find (all of them in `<out>/missing.txt`: split, path, where listed).
 */
async function reportDataset(result: DatasetResult, out: string): Promise<DatasetResult> {
  const { classes } = result;
  const shown =
    classes.length <= 20
      ? classes.map((c, i) => `${i}=${c}`).join(' ')
      : `${classes
          .slice(0, 5)
          .map((c, i) => `${i}=${c}`)
          .join(' ')} ... ${classes.length - 1}=${classes.at(-1)}`;
  process.stdout.write(`classes: ${classes.length}: ${shown}\n`);
  if (result.ignored.length > 0)
    process.stderr.write(
      `ndaflow: ignored ${result.ignored.length} file(s) with other extensions, e.g. ${result.ignored.slice(0, 3).join(', ')}\n`,
    );
  if (result.missing.length > 0) {
    const file = join(out, 'missing.txt');
    await mkdir(out, { recursive: true });
    await writeFile(file, result.missing.map((m) => `${m.split}\t${m.path}\t${m.origin}\n`).join(''));
    const bySplit = new Map<string, number>();
    for (const m of result.missing) bySplit.set(m.split, (bySplit.get(m.split) ?? 0) + 1);
    process.stdout.write(
      `missing: ${result.missing.length} listed video(s) not found (${[...bySplit].map(([s, n]) => `${s} ${n}`).join(', ')}), listed in ${file}\n`,
    );
    process.stderr.write(
      `ndaflow: warning: ${result.missing.length} listed video(s) not found, e.g. ${result.missing
        .slice(0, 3)
        .map((m) => `${m.path} (${m.origin})`)
        .join(', ')}\n`,
    );
  }
  return result;
}

function limits(flags: WriteFlags): {
  limit?: number;
  limits: { train?: number; test?: number };
  splits: CifarSplit[];
} {
  return {
    limit: flags.limit,
    limits: { train: flags.trainLimit, test: flags.testLimit },
    splits: parseSplits(flags.splits),
  };
}

/** `ndaflow prepare <dataset>`: dataset converters writing WebDataset shards. */
export function prepareCommand(): Command {
  const prepare = new Command('prepare').description('convert a dataset into WebDataset tar shards');

  const fmnist = addWriteOptions(
    new Command('fashion-mnist')
      .description('Fashion-MNIST idx files (gzipped or not) -> train-%06d.tar, test-%06d.tar (png + cls + json)')
      .option('--root <dir>', 'folder with the idx files', FASHION_MNIST_DEBIAN_ROOT),
    'shards/fmnist',
    true,
  ).action(async (flags: WriteFlags & { root: string }, command: Command) => {
    const conversion = convertOptions(flags, command, 'prepare fashion-mnist');
    const { options } = conversion;
    await timed(conversion, () => convertFashionMnist({ ...options, root: flags.root, ...limits(flags) }));
  });

  const cifar = (variant: CifarVariant, file: string) =>
    addWriteOptions(
      new Command(variant)
        .description(
          `${variant === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} binary tarball (${file}) -> train-%06d.tar, test-%06d.tar (png + cls + json)`,
        )
        .argument('<file>', `the binary tarball (${file})`),
      `shards/${variant}`,
      true,
    ).action(async (tarball: string, flags: WriteFlags, command: Command) => {
      const conversion = convertOptions(flags, command, `prepare ${variant}`);
      const { options } = conversion;
      await timed(conversion, () => convertCifar(variant, tarball, { ...options, ...limits(flags) }));
    });

  const svhn = addWriteOptions(
    new Command('svhn')
      .description('an SVHN cropped-digits MAT-file (test_32x32.mat) -> <split>-%06d.tar (png + cls + json)')
      .argument('<file>', 'train_32x32.mat, test_32x32.mat or extra_32x32.mat')
      .option('--split <name>', 'name of the split (default: the file name before _32x32.mat)'),
    'shards/svhn',
    false,
  ).action(async (file: string, flags: WriteFlags & { split?: string }, command: Command) => {
    const conversion = convertOptions(flags, command, 'prepare svhn');
    const { options } = conversion;
    await timed(conversion, () =>
      convertSvhn(file, {
        ...options,
        ...(flags.split === undefined ? {} : { split: flags.split }),
        ...(flags.limit === undefined ? {} : { limit: flags.limit }),
      }),
    );
  });

  const cifar10c = addWriteOptions(
    new Command('cifar10-c')
      .description('the CIFAR-10-C folder (<corruption>.npy + labels.npy) -> <corruption>-%06d.tar (png + cls + json)')
      .argument('<dir>', 'the CIFAR-10-C folder')
      .option('--corruptions <list>', 'corruptions to convert, comma-separated (default: every .npy file)')
      .option('--severity <n>', 'severity 1..5 (default: 5, as the official evaluation)', integerArg(1, 5), 5),
    'shards/cifar10-c',
    false,
  ).action(async (dir: string, flags: WriteFlags & { corruptions?: string; severity: number }, command: Command) => {
    const conversion = convertOptions(flags, command, 'prepare cifar10-c');
    const { options } = conversion;
    await timed(conversion, () =>
      convertCifar10C(dir, {
        ...options,
        severity: flags.severity,
        ...(flags.corruptions === undefined ? {} : { corruptions: flags.corruptions.split(',') }),
        ...(flags.limit === undefined ? {} : { limit: flags.limit }),
      }),
    );
  });

  /** The OOD photo sets (DTD, Places365, TinyImageNet): 32 px shards as the official evaluation's. */
  const oodFolder = (
    name: string,
    description: string,
    argument: string,
    convert: (
      dir: string,
      flags: WriteFlags & Record<string, unknown>,
      options: ConvertOptions,
    ) => Promise<OodFolderResult>,
    extra: (command: Command) => Command = (c) => c,
  ) =>
    addWriteOptions(
      extra(
        new Command(name)
          .description(`${description} -> <split>-%06d.tar (32 px png, Resize(32) + CenterCrop(32), + cls + json)`)
          .argument('<dir>', argument)
          .option('--split <name>', 'name of the split (shard file prefix)'),
      ),
      `shards/${name}`,
      false,
    ).action(async (dir: string, flags: WriteFlags & Record<string, unknown>, command: Command) => {
      const conversion = convertOptions(flags, command, `prepare ${name}`);
      await timed(conversion, async () => {
        const r = await convert(dir, flags, conversion.options);
        if (r.classes.length > 0) await reportDataset({ ...r, ignored: [], missing: [] }, flags.out as string);
        return r;
      });
    });
  const oodFlags = (flags: WriteFlags & Record<string, unknown>) => ({
    ...(typeof flags['split'] === 'string' ? { split: flags['split'] } : {}),
    ...(flags.limit === undefined ? {} : { limit: flags.limit }),
  });
  const dtd = oodFolder(
    'dtd',
    'the Describable Textures Dataset (dtd/images/<class>/*.jpg; every image, the split named all)',
    'the DTD root (holding images/) or its images/ folder',
    (dir, flags, options) => convertDtd(dir, { ...options, ...oodFlags(flags) }),
  );
  const places365 = oodFolder(
    'places365',
    'the Places365 validation images (val_256/ + places365_val.txt; the split named val)',
    'the Places365 root (holding val_256/ or val_large/) or the image folder',
    (dir, flags, options) =>
      convertPlaces365(dir, {
        ...options,
        ...oodFlags(flags),
        ...(typeof flags['list'] === 'string' ? { list: flags['list'] } : {}),
      }),
    (c) =>
      c.option(
        '--list <file>',
        'the image list with labels, "<image> <label>" per line (default: places365_val.txt in <dir> or its parent; none: unlabelled, by name)',
      ),
  );
  const tinyimagenet = oodFolder(
    'tinyimagenet',
    'TinyImageNet (tiny-imagenet-200: val/images + val/val_annotations.txt, or test/images)',
    'the tiny-imagenet-200 root',
    (dir, flags, options) =>
      convertTinyImagenet(dir, { ...options, ...oodFlags(flags), which: flags['which'] as 'val' | 'test' }),
    (c) =>
      c.addOption(
        new Option('--which <set>', 'the labelled val images or the unlabelled test ones')
          .choices(['val', 'test'])
          .default('val'),
      ),
  );

  const folder = addWriteOptions(
    new Command('folder')
      .description('a folder of class sub-folders of images -> <split>-%06d.tar (image bytes + cls + json)')
      .argument('<dir>', 'the folder (one sub-folder per class)')
      .option('--split <name>', 'name of the split (shard file prefix)', 'train')
      .option(
        '--shuffle-seed <n>',
        'shuffle the images with this seed (default: class by class, path by path)',
        integerArg(0, 2 ** 32 - 1),
      ),
    undefined,
    false,
  ).action(async (dir: string, flags: WriteFlags & { split: string; shuffleSeed?: number }, command: Command) => {
    const conversion = convertOptions(flags, command, 'prepare folder');
    const { options } = conversion;
    await timed(conversion, async () => {
      const r = await convertFolder(dir, {
        ...options,
        split: flags.split,
        limit: flags.limit,
        seed: flags.shuffleSeed,
      });
      process.stdout.write(`classes: ${r.classes.map((c, i) => `${i}=${c}`).join(' ')}\n`);
      if (r.ignored.length > 0)
        process.stderr.write(
          `ndaflow: ignored ${r.ignored.length} file(s) that are not images, e.g. ${r.ignored.slice(0, 3).join(', ')}\n`,
        );
      return r;
    });
  });

  const shuffleSeed = (command: Command): Command =>
    command.option(
      '--shuffle-seed <n>',
      "shuffle each split with this seed, so that shards mix the classes (default: the dataset's own order)",
      integerArg(0, 2 ** 32 - 1),
    );

  const ucf101 = shuffleSeed(
    addWriteOptions(
      new Command('ucf101')
        .description(
          'UCF101 (class folders of .avi + ucfTrainTestlist) -> train-%06d.tar, test-%06d.tar (avi + cls + json) of one official split',
        )
        .requiredOption('--root <dir>', 'the video folder (UCF-101/<Class>/v_<Class>_gXX_cYY.avi)')
        .option('--split <n>', 'the official train/test split: 1, 2 or 3', integerArg(1, 3), 1)
        .option(
          '--annotations <dir>',
          'folder of classInd.txt, trainlist0N.txt, testlist0N.txt (default: <root>/ucfTrainTestlist, <root>, <root>/../ucfTrainTestlist)',
        ),
      'shards/ucf101-split<N>',
      true,
    ),
  ).action(async (flags: WriteFlags & { root: string; split: number; annotations?: string }, command: Command) => {
    const out = flags.out === 'shards/ucf101-split<N>' ? `shards/ucf101-split${flags.split}` : (flags.out as string);
    const conversion = convertOptions({ ...flags, out }, command, 'prepare ucf101');
    const { options } = conversion;
    await timed(conversion, async () =>
      reportDataset(
        await convertUcf101({
          ...options,
          ...datasetLimits(flags),
          root: flags.root,
          split: flags.split,
          annotations: flags.annotations,
          splits: parseSplits(flags.splits),
        }),
        out,
      ),
    );
  });

  const kinetics = shuffleSeed(
    addWriteOptions(
      new Command('kinetics')
        .description(
          'Kinetics CSV(s) + downloaded clips -> <split>-%06d.tar per CSV split (mp4 + cls + json); missing videos are counted, not fatal',
        )
        .requiredOption('--csv <files...>', 'the official CSV(s): label,youtube_id,time_start,time_end,split[,is_cc]')
        .requiredOption('--videos <dir>', 'folder of <youtube_id>_<start:06d>_<end:06d>.mp4 files (any sub-folders)')
        .option('--split <name>', 'split of the rows of a CSV without a split column (default: the CSV file name)')
        .option('--splits <list>', 'write only these splits, comma-separated (default: all in the CSVs)'),
      'shards/kinetics',
      false,
    ),
  ).action(async (flags: WriteFlags & { csv: string[]; videos: string; split?: string }, command: Command) => {
    const conversion = convertOptions(flags, command, 'prepare kinetics');
    const { options } = conversion;
    const only = (flags.splits as string | undefined)
      ?.split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    await timed(conversion, async () =>
      reportDataset(
        await convertKinetics({
          ...options,
          csv: flags.csv,
          videos: flags.videos,
          split: flags.split,
          splits: only,
          limit: flags.limit,
          seed: flags.shuffleSeed,
        }),
        flags.out as string,
      ),
    );
  });

  const videoFolder = shuffleSeed(
    addWriteOptions(
      new Command('video-folder')
        .description(
          'a folder of class sub-folders of videos (or train/, test/ folders of them) -> <split>-%06d.tar (video bytes + cls + json)',
        )
        .argument('<dir>', 'the folder (one sub-folder per class, or split folders train/ val/ test/ of class folders)')
        .option('--split <name>', 'name of the split when there are no split folders (shard file prefix)', 'train'),
      undefined,
      false,
    ),
  ).action(async (dir: string, flags: WriteFlags & { split: string }, command: Command) => {
    const conversion = convertOptions(flags, command, 'prepare video-folder');
    const { options } = conversion;
    await timed(conversion, async () =>
      reportDataset(
        await convertVideoFolder(dir, {
          ...options,
          split: flags.split,
          limit: flags.limit,
          seed: flags.shuffleSeed,
        }),
        flags.out as string,
      ),
    );
  });

  const movingFmnist = addWriteOptions(
    new Command('moving-fmnist')
      .description(
        'Moving-Fashion-MNIST clips (1 or 2 items bouncing in a square canvas) from the Fashion-MNIST idx files -> train-%06d.tar, test-%06d.tar (mp4 + cls + json)',
      )
      .option('--root <dir>', 'folder with the Fashion-MNIST idx files', FASHION_MNIST_DEBIAN_ROOT)
      .option('--train <n>', 'training clips (default: 10000)', integerArg(0))
      .option('--test <n>', 'test clips (default: 2000)', integerArg(0))
      .option('--frames <n>', 'frames per clip, 16..20 (default: 20)', integerArg(1))
      .addOption(new Option('--items <n>', 'items per clip (default: 1)').choices(['1', '2']))
      .option('--seed <n>', 'seed of every random choice (default: 0)', integerArg(0, 2 ** 32 - 1))
      .option('--fps <n>', 'frame rate written in the mp4, metadata only (default: 10)', integerArg(1))
      .option('--size <n>', 'side of the square canvas in pixels, even, > 28 (default: 64)', integerArg(1)),
    'shards/moving-fmnist',
    false,
    false,
  ).action(
    async (
      flags: WriteFlags & {
        root: string;
        train?: number;
        test?: number;
        frames?: number;
        items?: string;
        seed?: number;
        fps?: number;
        size?: number;
      },
      command: Command,
    ) => {
      const conversion = convertOptions(flags, command, 'prepare moving-fmnist');
      const { options } = conversion;
      const { root, train, test, frames, seed, fps, size } = flags;
      await timed(conversion, () =>
        convertMovingFmnist({
          ...options,
          root,
          train,
          test,
          frames,
          items: flags.items === undefined ? undefined : flags.items === '2' ? 2 : 1,
          seed,
          fps,
          size,
        }),
      );
    },
  );

  const adapter = shuffleSeed(
    addWriteOptions(
      new Command('adapter')
        .description(
          'any dataset through a DatasetAdapter module (its default export: (root) => DatasetAdapter) -> <split>-%06d.tar',
        )
        .argument('<module>', 'the adapter module (.js/.mjs; e.g. dist-test/examples/gesture-clips.js)')
        .argument('<root>', 'the dataset folder, passed to the adapter function')
        .option('--splits <list>', 'write only these splits, comma-separated (default: all)'),
      undefined,
      false,
    ),
  ).action(async (module: string, root: string, flags: WriteFlags, command: Command) => {
    const loaded = (await import(pathToFileURL(resolve(module)).href)) as { default?: unknown; adapter?: unknown };
    const factory = loaded.default ?? loaded.adapter;
    if (typeof factory !== 'function')
      throw typeError(
        'load a dataset adapter',
        'the module must export a default function (root) => DatasetAdapter',
        module,
      );
    const dataset = (factory as (root: string) => DatasetAdapter)(root);
    const conversion = convertOptions(flags, command, `prepare ${dataset.name}`);
    const { options } = conversion;
    const only = (flags.splits as string | undefined)
      ?.split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    await timed(conversion, async () =>
      reportDataset(
        await writeDataset(dataset, { ...options, splits: only, limit: flags.limit, seed: flags.shuffleSeed }),
        flags.out as string,
      ),
    );
  });

  return prepare
    .addCommand(fmnist)
    .addCommand(cifar('cifar10', 'cifar-10-binary.tar.gz'))
    .addCommand(cifar('cifar100', 'cifar-100-binary.tar.gz'))
    .addCommand(svhn)
    .addCommand(cifar10c)
    .addCommand(dtd)
    .addCommand(places365)
    .addCommand(tinyimagenet)
    .addCommand(folder)
    .addCommand(ucf101)
    .addCommand(kinetics)
    .addCommand(videoFolder)
    .addCommand(movingFmnist)
    .addCommand(adapter);
}
