import { Command, Option } from 'commander';
import { convertCifar, type CifarSplit, type CifarVariant } from '../../sources/datasets/cifar.js';
import type { ConvertOptions, ConvertResult } from '../../sources/datasets/convert-options.js';
import { convertFashionMnist, FASHION_MNIST_DEBIAN_ROOT } from '../../sources/datasets/fashion-mnist.js';
import { convertFolder } from '../../sources/datasets/folder.js';
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
}

function addWriteOptions(command: Command, defaultOut: string | undefined, splitLimits: boolean): Command {
  if (defaultOut === undefined) command.requiredOption('--out <dir>', 'folder the shards are written to');
  else command.option('--out <dir>', 'folder the shards are written to', defaultOut);
  command
    .option('--max-samples <n>', 'most samples per shard', integerArg(1), 10_000)
    .option('--max-bytes <n>', 'most bytes of entry data per shard', integerArg(1), 1e9)
    .option('--gzip', 'gzip every shard (.tar.gz)', false)
    .option('--limit <n>', splitLimits ? 'only the first N images of each split' : 'only the first N images', integerArg(0));
  if (splitLimits) {
    command
      .option('--train-limit <n>', 'only the first N training images (over --limit)', integerArg(0))
      .option('--test-limit <n>', 'only the first N test images (over --limit)', integerArg(0))
      .addOption(new Option('--splits <list>', 'splits to convert, comma-separated').default('train,test'));
  }
  return command;
}

function parseSplits(list: string): ('train' | 'test')[] {
  const splits = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const s of splits) {
    if (s !== 'train' && s !== 'test') throw new RangeError(`Cannot choose the splits as each must be train or test: current value is ${JSON.stringify(s)}`);
  }
  return splits as ('train' | 'test')[];
}

function convertOptions(flags: WriteFlags, command: Command, label: string): { options: ConvertOptions; done: () => void } {
  const progress = startProgress({ label, enabled: progressEnabled(command) });
  return {
    options: { out: flags.out as string, maxSamples: flags.maxSamples, maxBytes: flags.maxBytes, gzip: flags.gzip, onProgress: (n) => progress.update(n) },
    done: () => progress.stop(),
  };
}

/** Prints what was written: per split the samples and shards with their sizes; stale shards as warnings. */
function report(result: ConvertResult, seconds: number): void {
  let total = 0;
  for (const split of result.splits) {
    total += split.samples;
    process.stdout.write(`${split.split}: ${split.samples} samples in ${split.shards.length} shard(s)\n`);
    for (const shard of split.shards) process.stdout.write(`  ${shard.path}  ${shard.bytes} bytes\n`);
    for (const stale of split.stale) process.stderr.write(`ndaflow: warning: ${stale} was not written now (left by an earlier run?); a glob over the folder would read it\n`);
  }
  process.stdout.write(`wrote ${total} samples in ${seconds.toFixed(1)} s\n`);
}

async function timed(run: () => Promise<ConvertResult>, done: () => void): Promise<void> {
  const start = performance.now();
  let result: ConvertResult;
  try {
    result = await run();
  } finally {
    done();
  }
  report(result, (performance.now() - start) / 1000);
}

function limits(flags: WriteFlags): { limit?: number; limits: { train?: number; test?: number }; splits: CifarSplit[] } {
  return { limit: flags.limit, limits: { train: flags.trainLimit, test: flags.testLimit }, splits: parseSplits(flags.splits) };
}

/** `ndaflow prepare <dataset>`: dataset converters writing WebDataset shards. */
export function prepareCommand(): Command {
  const prepare = new Command('prepare').description('convert a dataset into WebDataset tar shards');

  const fmnist = addWriteOptions(
    new Command('fashion-mnist')
      .description('Fashion-MNIST idx files (gzipped or not) -> train-%06d.tar, test-%06d.tar (png + cls + json)')
      .option('--root <dir>', 'folder with the idx files', FASHION_MNIST_DEBIAN_ROOT),
    'shards/fashion-mnist',
    true,
  ).action(async (flags: WriteFlags & { root: string }, command: Command) => {
    const { options, done } = convertOptions(flags, command, 'prepare fashion-mnist');
    await timed(() => convertFashionMnist({ ...options, root: flags.root, ...limits(flags) }), done);
  });

  const cifar = (variant: CifarVariant, file: string) =>
    addWriteOptions(
      new Command(variant)
        .description(`${variant === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} binary tarball (${file}) -> train-%06d.tar, test-%06d.tar (png + cls + json)`)
        .argument('<file>', `the binary tarball (${file})`),
      `shards/${variant}`,
      true,
    ).action(async (tarball: string, flags: WriteFlags, command: Command) => {
      const { options, done } = convertOptions(flags, command, `prepare ${variant}`);
      await timed(() => convertCifar(variant, tarball, { ...options, ...limits(flags) }), done);
    });

  const folder = addWriteOptions(
    new Command('folder')
      .description('a folder of class sub-folders of images -> <split>-%06d.tar (image bytes + cls + json)')
      .argument('<dir>', 'the folder (one sub-folder per class)')
      .option('--split <name>', 'name of the split (shard file prefix)', 'train')
      .option('--shuffle-seed <n>', 'shuffle the images with this seed (default: class by class, path by path)', integerArg(0, 2 ** 32 - 1)),
    undefined,
    false,
  ).action(async (dir: string, flags: WriteFlags & { split: string; shuffleSeed?: number }, command: Command) => {
    const { options, done } = convertOptions(flags, command, 'prepare folder');
    await timed(async () => {
      const r = await convertFolder(dir, { ...options, split: flags.split, limit: flags.limit, seed: flags.shuffleSeed });
      process.stdout.write(`classes: ${r.classes.map((c, i) => `${i}=${c}`).join(' ')}\n`);
      if (r.ignored.length > 0) process.stderr.write(`ndaflow: ignored ${r.ignored.length} file(s) that are not images, e.g. ${r.ignored.slice(0, 3).join(', ')}\n`);
      return r;
    }, done);
  });

  return prepare.addCommand(fmnist).addCommand(cifar('cifar10', 'cifar-10-binary.tar.gz')).addCommand(cifar('cifar100', 'cifar-100-binary.tar.gz')).addCommand(folder);
}
