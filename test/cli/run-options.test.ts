import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadPipelineFile } from '../../pipelines/load-pipeline-file.js';
import type { Accounting } from '../../sources/ledger.js';
import { tempDir } from '../helpers/temp-dir.js';
import { ROOT, runCli } from './cli-helper.js';

/** The README's example pipeline file. */
const EXAMPLE = join(ROOT, 'examples', 'pipelines', 'jigsaw-batches.mjs');
const EMBEDDED = join(ROOT, 'data', 'fmnist', 'train-{000000..000003}.tar.gz');

/** What `ndaflow run --json` prints. */
interface JsonReport {
  readonly pipeline: string;
  readonly seed: number;
  readonly samples: number;
  readonly batches: number;
  readonly accounting: Accounting;
  readonly details: Readonly<Record<string, string | number>>;
}

/** `--help` of `ndaflow run ...args` with its line wrapping undone (one space between words). */
async function help(args: readonly string[], cwd?: string): Promise<string> {
  const r = await runCli(['run', ...args, '--help'], cwd !== undefined ? { cwd } : {});
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.replace(/\s+/g, ' ');
}

/** A folder as a user's project: the example copied in, `ndaflow` installed (linked) in its node_modules. */
function userProject(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'ndaflow'), 'dir');
  copyFileSync(EXAMPLE, join(dir, 'my-pipeline.mjs'));
  return dir;
}

describe('ndaflow run NAME: per-pipeline options', () => {
  it('--help lists the options of that pipeline, with types, defaults and help', async () => {
    const stream = await help(['fmnist-stream']);
    assert.match(stream, /^Usage: ndaflow run fmnist-stream \[options\]/);
    assert.match(stream, /--batch-size <int> samples per batch \(default: 64\)/);
    assert.match(stream, /--shuffle <int> sample shuffle buffer \(0: tar order\) \(default: 1000\)/);
    assert.doesNotMatch(stream, /--nda|--steps|--alpha/);

    const gan = await help(['fmnist-gan']);
    for (const option of [
      /--nda <name> [^-]*\(one of: none, jigsaw, stitch, mixup, cutout, cutmix\) \(default: jigsaw\)/,
      /--alpha <number> NDA-GAN D loss: weight of the fake term .* \(default: 0\.25; 1 with --nda none\)/,
      /--beta <number> NDA-GAN D loss: weight of the negative term .* \(default: 0\.75; 0 with --nda none/,
      /--jigsaw-k <int> jigsaw: tiles per side .* \(default: 2\)/,
      /--jigsaw-mode <name>/,
      /--stitch-p <number>/,
      /--mixup-alpha <number>[\s\S]*?\(default: 25\)/,
      /--cutout-size <int\|lo,hi>/,
      /--cutmix-beta <number>/,
      /--arch <name>/,
      /--conditional/,
      /--no-eval turn off: /,
      /--resume/,
    ])
      assert.match(gan, option);
    assert.doesNotMatch(gan, /--nda-per-query|--normal-class|--shift-offset/);

    const moco = await help(['fmnist-moco']);
    assert.match(moco, /--nda-per-query <int> NDA views per query, extra negatives in its denominator \(default: 1\)/);
    assert.match(moco, /--shift-offset <int\|lo,hi>/);
    assert.match(moco, /--noise-range <lo,hi>/);
    const video = await help(['moving-fmnist-video-moco']);
    assert.match(video, /--splice-fraction <lo,hi>/);
    assert.match(video, /--splice-cut <name>/);
    const anomaly = await help(['fmnist-anomaly']);
    assert.match(anomaly, /--normal-class <int> the class trained on as normal \(default: 0\)/);
    assert.match(anomaly, /--alpha <number>/);

    const general = await runCli(['run', '--help']);
    assert.equal(general.code, 0);
    assert.match(general.stdout, /Pipelines: fmnist-stream, fmnist-gan/);
  });

  it('an option the pipeline does not take is an error naming the ones it does (nothing runs)', async () => {
    const r = await runCli(['run', 'fmnist-stream', '--nda', 'jigsaw', '--steps', '5']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^ndaflow: error: fmnist-stream takes no option --nda; its options are --seed, --handler, --allow-pipe, --shards, --epochs, --batch-size, --shuffle \(see ndaflow run fmnist-stream --help\)$/m,
    );
    assert.equal(r.stdout, '');
    const classifier = await runCli(['run', 'fmnist-classifier', '--resume']);
    assert.match(classifier.stderr, /fmnist-classifier takes no option --resume; its options are .*--run-dir/);
    const stray = await runCli(['run', 'fmnist-stream', 'extra']);
    assert.match(stray.stderr, /fmnist-stream takes no argument "extra"/);
  });

  it('a bad value is an error naming the option (and the transform constraint for NDA options)', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['fmnist-stream', '--batch-size', '0'],
        /Cannot run fmnist-stream as --batch-size must be an integer >= 1: current value is 0/,
      ],
      [['fmnist-gan', '--steps', 'ten'], /--steps must be a number: current value is NaN/],
      [
        ['fmnist-gan', '--nda', 'rotate'],
        /--nda must be one of none, jigsaw, stitch, mixup, cutout, cutmix: current value is "rotate"/,
      ],
      [['fmnist-gan', '--alpha', '-1'], /--alpha must be a finite number >= 0: current value is -1/],
      [
        ['fmnist-gan', '--jigsaw-k', '1'],
        /--jigsaw-k is not valid: Cannot create a jigsaw transform as k must be in \[2, 4096\]/,
      ],
      [
        ['fmnist-gan', '--nda', 'mixup', '--mixup-alpha', '0'],
        /--mixup-alpha is not valid: Cannot create a mixup transform as alpha must be a finite number > 0: current value is 0/,
      ],
      [
        ['fmnist-gan', '--jigsaw-k', '3'],
        /--nda jigsaw with --jigsaw-k 3 must fit 32x32 images \(Cannot cut a 32x32 image into a 3x3 jigsaw as k must divide/,
      ],
      [
        ['fmnist-gan', '--nda', 'cutout', '--cutout-size', '9,3'],
        /--cutout-size must be an integer >= 1 or a range lo,hi/,
      ],
      [
        ['fmnist-gan', '--nda', 'cutout', '--jigsaw-k', '4'],
        /--jigsaw-k applies to --nda jigsaw only: current value is "--nda cutout"/,
      ],
      [
        ['fmnist-gan', '--nda', 'none', '--beta', '0.5'],
        /--beta weighs the NDA term, and --nda none trains without negatives: current value is 0.5/,
      ],
      [
        ['fmnist-moco', '--nda-per-query', '65'],
        /--nda-per-query must be an integer in \[1, 64\]: current value is 65/,
      ],
      [
        ['moving-fmnist-video-moco', '--nda', 'splice', '--splice-fraction', '0.5,2'],
        /--splice-fraction is not valid: /,
      ],
      [
        ['fmnist-anomaly', '--normal-class', '10'],
        /--normal-class must be an integer in \[0, 9\]: current value is 10/,
      ],
      [['fmnist-gan', '--steps'], /option '--steps <int>' argument missing/],
    ];
    for (const [args, message] of cases) {
      // a check that did not fire would start a run: keep its folder out of the repository
      const folder = args[0] === 'fmnist-stream' ? [] : ['--run-dir', join(tempDir(), 'never')];
      const r = await runCli(['run', String(args[0]), ...folder, ...args.slice(1)]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  it('--nda, its transform options and --alpha/--beta reach config.json (and drive the training)', async () => {
    const runDir = join(tempDir(), 'gan');
    const args = ['run', 'fmnist-gan', '--steps', '1', '--batch-size', '4', '--shuffle', '0', '--no-eval'];
    const r = await runCli([
      ...args,
      '--backend',
      'wasm',
      '--seed',
      '2',
      '--run-dir',
      runDir,
      '--json',
      '--no-progress',
      '--nda',
      'jigsaw',
      '--jigsaw-k',
      '4',
      '--jigsaw-mode',
      'strict',
      '--alpha',
      '0.5',
      '--beta',
      '1.5',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(
      [config['nda'], config['ndaOptions'], config['alpha'], config['beta'], config['steps'], config['batchSize']],
      ['jigsaw', { k: 4, mode: 'strict' }, 0.5, 1.5, 1, 4],
    );
    assert.equal((JSON.parse(r.stdout) as JsonReport).details['nda'], 'jigsaw');
    // resuming keeps them: a different weight is refused, naming the saved one
    const refused = await runCli([
      'run',
      'fmnist-gan',
      '--resume',
      '--run-dir',
      runDir,
      '--alpha',
      '0.25',
      '--no-progress',
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /resume keeps the run's alpha 0.5/);
  });
});

describe('ndaflow run FILE: a user pipeline module', () => {
  it('--help lists the options it declares (and the run-folder ones the helper adds)', async () => {
    const r = await help(['./my-pipeline.mjs'], userProject());
    assert.match(r, /^Usage: ndaflow run \.\/my-pipeline\.mjs \[options\]/);
    assert.match(r, /--k <int> jigsaw tiles per side \(must divide the image side\) \(default: 2\)/);
    assert.match(r, /--shards <spec> [^-]*\(required\)/);
    assert.match(r, /--run-dir <dir>/);
    assert.match(r, /--resume continue the run/);
  });

  it('runs with the same report, run folder and accounting as a registered pipeline; --resume continues a stopped run', async () => {
    const dir = userProject();
    const straight = await runCli(
      ['run', './my-pipeline.mjs', '--shards', EMBEDDED, '--seed', '3', '--k', '4', '--run-dir', 'whole', '--json'],
      { cwd: dir },
    );
    assert.equal(straight.code, 0, straight.stderr);
    const whole = JSON.parse(straight.stdout) as JsonReport;
    assert.equal(whole.pipeline, 'jigsaw-batches');
    assert.deepEqual([whole.seed, whole.samples, whole.batches], [3, 3000, 75]);
    assert.deepEqual([whole.accounting.seen, whole.accounting.yielded, whole.accounting.lost], [3000, 3000, 0]);
    assert.equal(whole.details['runDir'], 'whole');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'whole', 'config.json'), 'utf8')), {
      pipeline: 'jigsaw-batches',
      seed: 3,
      shards: EMBEDDED,
      handler: 'reraise',
      shuffle: 500,
      batchSize: 40,
      k: 4,
    });
    readFileSync(join(dir, 'whole', 'report.html'), 'utf8');

    // stopped after 10 batches (as Ctrl-C does), then resumed from the command line
    const pipeline = await loadPipelineFile(join(dir, 'my-pipeline.mjs'));
    const controller = new AbortController();
    const runDir = join(dir, 'split');
    const first = await pipeline.run(
      { shards: EMBEDDED, seed: 3, k: 4, runDir },
      { signal: controller.signal, onProgress: (_s, b) => b === 10 && controller.abort() },
    );
    assert.deepEqual([first.aborted, first.samples], [true, 400]);
    const refused = await runCli(['run', './my-pipeline.mjs', '--resume', '--run-dir', runDir, '--k', '2'], {
      cwd: dir,
    });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /resume keeps the run's k 4/);
    const resumed = await runCli(['run', './my-pipeline.mjs', '--resume', '--run-dir', runDir, '--json'], { cwd: dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    const rest = JSON.parse(resumed.stdout) as JsonReport;
    assert.equal(rest.seed, 3);
    assert.equal(rest.samples, 2600, 'the 2,600 samples the stopped run had not delivered, none twice');
    assert.deepEqual([rest.accounting.yielded, rest.accounting.lost], [3000, 0]);
  });

  it('errors: an option it does not take, a module without a pipeline, TypeScript on a Node that does not strip types', async () => {
    const dir = userProject();
    const unknown = await runCli(['run', './my-pipeline.mjs', '--shards', EMBEDDED, '--nda', 'jigsaw'], { cwd: dir });
    assert.match(
      unknown.stderr,
      /jigsaw-batches takes no option --nda; its options are --seed, --run-dir, --resume, --shards, --handler, --shuffle, --batch-size, --k/,
    );
    writeFileSync(join(dir, 'not-one.mjs'), 'export default { name: "x" };\n');
    const notOne = await runCli(['run', './not-one.mjs'], { cwd: dir });
    assert.equal(notOne.code, 1);
    assert.match(notOne.stderr, /its default export must be a pipeline declared with definePipeline/);
    const missing = await runCli(['run', './nowhere.mjs'], { cwd: dir });
    assert.match(missing.stderr, /Cannot run the pipeline file \.\/nowhere\.mjs as the file must exist/);
    const bare = tempDir();
    copyFileSync(EXAMPLE, join(bare, 'p.mjs'));
    const uninstalled = await runCli(['run', join(bare, 'p.mjs'), '--help']);
    assert.match(uninstalled.stderr, /imports ndaflow, which is not installed beside it: run `npm install ndaflow`/);
    writeFileSync(join(dir, 'typed.ts'), 'export default 1;\n');
    const typed = await runCli(['run', './typed.ts'], { cwd: dir });
    if ((process.features as { typescript?: unknown }).typescript === undefined) {
      assert.equal(typed.code, 1);
      assert.match(
        typed.stderr,
        new RegExp(`Node ${process.versions.node.replace(/\./g, '\\.')} does not strip TypeScript types`),
      );
    }
  });
});
