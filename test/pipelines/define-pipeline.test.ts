import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { batch } from '../../operators/batch.js';
import { decode } from '../../operators/decode.js';
import { commonOptions } from '../../pipelines/common-options.js';
import { STREAM_STATE_FILE, definePipeline, isPipeline } from '../../pipelines/define-pipeline.js';
import { ndaOptions, ndaTransformOptions } from '../../pipelines/nda-options.js';
import { choiceOption, flagOption, intOption, intRangeOption, numberOption } from '../../pipelines/pipeline-option.js';
import { PipelineError } from '../../pipelines/pipeline-error.js';
import { encodePng } from '../../sources/datasets/encode-png.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { tempDir } from '../helpers/temp-dir.js';

async function shards(n: number, bad: number[] = []): Promise<string> {
  const w = new ShardWriter(join(tempDir(), 'd-%06d.tar'), { maxSamples: 7 });
  for (let i = 0; i < n; i++)
    await w.write({
      __key__: `k${String(i).padStart(3, '0')}`,
      png: bad.includes(i) ? Buffer.from('nope') : encodePng(new Uint8Array(4).fill(i), 2, 2, 1),
      cls: i % 3,
    });
  return (await w.close()).join('::');
}

/** A pipeline with a run folder that records the keys it saw. */
function keyRecorder(seen: string[]) {
  return definePipeline({
    name: 'key-recorder',
    summary: 'records keys',
    runFolder: true,
    options: {
      shards: commonOptions.shards.asRequired(),
      shuffle: commonOptions.shuffle.withDefault(5),
      batchSize: commonOptions.batchSize.withDefault(3),
    },
    run: (o, ctx) =>
      ctx.consume(
        createLoader(fromShards(o.shards, { seed: ctx.seed, shuffle: o.shuffle }), decode(), batch(o.batchSize)),
        { each: (b) => void seen.push(...b.__key__) },
      ),
  });
}

describe('definePipeline', () => {
  const demo = definePipeline({
    name: 'demo',
    summary: 'returns its options',
    options: {
      steps: intOption({ default: 200, min: 1, help: 'steps' }),
      nda: choiceOption(['none', 'jigsaw'] as const, { default: 'jigsaw', help: 'nda' }),
      alpha: numberOption({ min: 0, help: 'weight' }),
      size: intRangeOption({ min: 1, help: 'size' }),
      loud: flagOption({ default: false, help: 'loud' }),
    },
    run(options, context) {
      // the options object is typed from the declaration (a compile-time check as much as a run-time one)
      const steps: number = options.steps;
      const nda: 'none' | 'jigsaw' = options.nda;
      const alpha: number | undefined = options.alpha;
      return Promise.resolve({
        accounting: {
          seen: 0,
          yielded: 0,
          skipped: {},
          shardErrors: {},
          errors: [],
          inFlight: 0,
          buffered: 0,
          lost: 0,
        },
        seed: 0,
        samples: 0,
        batches: 0,
        seconds: 0,
        aborted: false,
        details: {
          steps,
          nda,
          alpha: alpha ?? -1,
          size: JSON.stringify(options.size),
          given: [...context.given].join(','),
        },
      });
    },
  });

  it('fills the defaults, checks the given values, and tells the body which were given', async () => {
    assert.ok(isPipeline(demo));
    assert.equal(isPipeline({ name: 'x', run() {} }), false);
    const r = await demo.run({ alpha: 0.5, size: [3, 5] });
    assert.deepEqual(r.details, { steps: 200, nda: 'jigsaw', alpha: 0.5, size: '[3,5]', given: 'alpha,size' });
  });

  it('an option it does not take is a RangeError naming the ones it does; a bad value names the option', async () => {
    await assert.rejects(
      // @ts-expect-error: not an option of demo
      demo.run({ shuffle: 3 }),
      (e: unknown) =>
        e instanceof RangeError &&
        e.message ===
          'Cannot run demo as demo takes no option shuffle; its options are steps, nda, alpha, size, loud: current value is 3',
    );
    await assert.rejects(
      demo.run({ steps: 0 }),
      /^RangeError: Cannot run demo as steps must be an integer >= 1: current value is 0$/,
    );
    await assert.rejects(demo.run({ steps: 1.5 }), /steps must be an integer >= 1/);
    await assert.rejects(
      // @ts-expect-error: a string where a number goes
      demo.run({ alpha: '1' }),
      (e: unknown) => e instanceof TypeError && /alpha must be a number/.test(String(e)),
    );
    await assert.rejects(
      demo.run({ alpha: Infinity }),
      /alpha must be a finite number >= 0: current value is Infinity/,
    );
    // @ts-expect-error: not one of the choices
    await assert.rejects(demo.run({ nda: 'cutout' }), /nda must be one of none, jigsaw: current value is "cutout"/);
    await assert.rejects(demo.run({ size: [5, 3] }), /size must be an integer >= 1 or a range lo,hi/);
  });

  it('rejects a malformed declaration', () => {
    assert.throws(
      () => definePipeline({ name: 'Bad Name', summary: '', options: {}, run: () => Promise.reject(new Error()) }),
      /name must be kebab-case/,
    );
    assert.throws(
      // @ts-expect-error: an option not made by a factory
      () => definePipeline({ name: 'x', summary: '', options: { n: 3 }, run: () => Promise.reject(new Error()) }),
      /option n must be made by an option factory/,
    );
  });

  it('a required option left out is a TypeError naming it', async () => {
    await assert.rejects(keyRecorder([]).run({}), /Cannot run key-recorder as it needs shards/);
  });

  it('runFolder: config.json, stream state and report; resume continues exactly (no key repeated, none lost)', async () => {
    const spec = await shards(40);
    const straight: string[] = [];
    const whole = await keyRecorder(straight).run({ shards: spec, seed: 4, runDir: join(tempDir(), 'a') });
    assert.equal(whole.samples, 40);
    assert.equal(new Set(straight).size, 40);

    const runDir = join(tempDir(), 'b');
    const first: string[] = [];
    const controller = new AbortController();
    const stopped = await keyRecorder(first).run(
      { shards: spec, seed: 4, runDir },
      { signal: controller.signal, onProgress: (_s, batches) => batches === 4 && controller.abort() },
    );
    assert.equal(stopped.aborted, true);
    assert.equal(stopped.samples, 12);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as unknown;
    assert.deepEqual(config, { pipeline: 'key-recorder', seed: 4, shards: spec, shuffle: 5, batchSize: 3 });
    assert.ok(existsSync(join(runDir, STREAM_STATE_FILE)));
    assert.ok(existsSync(join(runDir, 'report.html')));
    assert.equal(stopped.details?.['runDir'], runDir);

    // a fixed option may not change on resume; the saved seed and shards come back without being given
    await assert.rejects(
      keyRecorder([]).run({ runDir, resume: true, batchSize: 4 }),
      /resume keeps the run's batchSize 3/,
    );
    const rest: string[] = [];
    const lines: string[] = [];
    const resumed = await keyRecorder(rest).run({ runDir, resume: true }, { log: (l) => lines.push(l) });
    assert.equal(resumed.seed, 4);
    assert.equal(resumed.accounting.lost, 0);
    assert.deepEqual([...first, ...rest], straight);
    assert.ok(lines.some((l) => l.startsWith(`resuming ${runDir}`)));
  });

  it('consume: a failure is a PipelineError with the accounting', async () => {
    const spec = await shards(10, [4]);
    await assert.rejects(keyRecorder([]).run({ shards: spec, seed: 1, runDir: join(tempDir(), 'c') }), (e: unknown) => {
      assert.ok(e instanceof PipelineError);
      assert.equal(e.pipeline, 'key-recorder');
      assert.equal(e.accounting.lost, 0);
      return true;
    });
  });
});

describe('ndaOptions', () => {
  it('declares the options of the named transforms only, checked by the transform itself', () => {
    assert.deepEqual(Object.keys(ndaOptions(['jigsaw', 'cutout', 'reverse'])), ['jigsawK', 'jigsawMode', 'cutoutSize']);
    const { jigsawK, cutoutSize } = ndaOptions(['jigsaw', 'cutout']);
    assert.equal(jigsawK.check(4, 'run x', '--jigsaw-k'), 4);
    assert.throws(
      () => jigsawK.check(1, 'run x', '--jigsaw-k'),
      /^RangeError: Cannot run x as --jigsaw-k is not valid: Cannot create a jigsaw transform as k must be in \[2, 4096\]: current value is 1$/,
    );
    assert.deepEqual(cutoutSize.check([10, 19], 'run x', 'cutoutSize'), [10, 19]);
  });

  it('collects the options of the chosen transform and refuses those of another', () => {
    assert.deepEqual(ndaTransformOptions('run x', 'jigsaw', { jigsawK: 4, jigsawMode: 'strict', other: 1 }), {
      k: 4,
      mode: 'strict',
    });
    assert.deepEqual(ndaTransformOptions('run x', 'none', {}), {});
    assert.throws(
      () => ndaTransformOptions('run x', 'cutout', { jigsawK: 4 }),
      /Cannot run x as --jigsaw-k applies to --nda jigsaw only: current value is "--nda cutout"/,
    );
  });
});
