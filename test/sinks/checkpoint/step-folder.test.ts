import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeStepFolder } from '../../../sinks/checkpoint/write-step-folder.js';
import { resolveStepFolder } from '../../../sinks/checkpoint/resolve-step-folder.js';
import { readCheckpointState } from '../../../sinks/checkpoint/read-checkpoint-state.js';
import { toJsonValue } from '../../../sinks/checkpoint/to-json-value.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('writeStepFolder', () => {
  it('fills the .tmp folder, renames it into place, replaces an existing step and then points latest at it', async () => {
    const dir = tempDir();
    const seen: string[] = [];
    const folder = await writeStepFolder(dir, 3, async (tmp) => {
      seen.push(tmp);
      assert.deepEqual(await readdir(tmp), [], 'the .tmp folder starts empty');
      await writeFile(join(tmp, 'a.txt'), 'one');
    });
    assert.equal(folder, join(dir, 'step-000003'));
    assert.deepEqual(seen, [join(dir, 'step-000003.tmp')]);
    assert.equal(await readFile(join(folder, 'a.txt'), 'utf8'), 'one');
    assert.equal(await readFile(join(dir, 'latest'), 'utf8'), 'step-000003\n');

    await writeStepFolder(dir, 3, async (tmp) => writeFile(join(tmp, 'b.txt'), 'two'));
    assert.deepEqual(await readdir(folder), ['b.txt'], 'saving the same step replaces the folder');
    assert.deepEqual((await readdir(dir)).sort(), ['latest', 'step-000003']);
  });

  it('leaves the latest pointer and the complete folders alone when fill fails', async () => {
    const dir = tempDir();
    await writeStepFolder(dir, 1, async (tmp) => writeFile(join(tmp, 'x'), '1'));
    await assert.rejects(
      writeStepFolder(dir, 2, async () => {
        throw new Error('disk full');
      }),
      /disk full/,
    );
    assert.equal(await readFile(join(dir, 'latest'), 'utf8'), 'step-000001\n');
    assert.equal(existsSync(join(dir, 'step-000002')), false);
  });
});

describe('resolveStepFolder', () => {
  it('finds the step asked for, a step folder itself, the latest one, or nothing', async () => {
    const dir = tempDir();
    assert.equal(await resolveStepFolder(dir, undefined, 'checkpoint'), null, 'an empty run folder');
    assert.equal(await resolveStepFolder(join(dir, 'missing'), undefined, 'checkpoint'), null, 'a missing run folder');
    assert.equal(await resolveStepFolder(dir, 7, 'checkpoint'), join(dir, 'step-000007'));
    await assert.rejects(
      resolveStepFolder(dir, -1, 'MoCo checkpoint'),
      /Cannot load MoCo checkpoint from .* as step must be >= 0: current value is -1/,
    );
    const folder = await writeStepFolder(dir, 5, async (tmp) => writeFile(join(tmp, 'state.json'), '{}'));
    assert.equal(await resolveStepFolder(dir, undefined, 'checkpoint'), folder);
    assert.equal(await resolveStepFolder(folder, undefined, 'checkpoint'), folder, 'a step folder loads as itself');
    await writeFile(join(dir, 'latest'), '../elsewhere\n');
    await assert.rejects(
      resolveStepFolder(dir, undefined, 'MoCo checkpoint'),
      /Cannot load MoCo checkpoint .* as .*latest must name a step folder: current value is "..\/elsewhere"/,
    );
  });
});

describe('readCheckpointState', () => {
  it('returns a state of the expected kind and version, and names what is wrong otherwise', async () => {
    const folder = tempDir();
    const write = (state: unknown) => writeFile(join(folder, 'state.json'), JSON.stringify(state));
    const gan = { version: 1 };
    const moco = { version: 1, kind: { value: 'moco', name: 'MoCo' } };
    await assert.rejects(
      readCheckpointState('load it', folder, gan),
      /Cannot load it as .*state.json must be a readable JSON file/,
    );
    await write({ version: 1, step: 4, extra: 'kept' });
    assert.deepEqual(await readCheckpointState('load it', folder, gan), { version: 1, step: 4, extra: 'kept' });
    await assert.rejects(
      readCheckpointState('load it', folder, moco),
      /Cannot load it as it must be a MoCo checkpoint of version 1: current value is \{"version":1\}/,
    );
    await write({ version: 2, step: 4 });
    await assert.rejects(readCheckpointState('load it', folder, gan), /its version must be 1: current value is 2/);
    await write({ version: 1, kind: 'moco', step: 1.5 });
    await assert.rejects(
      readCheckpointState('load it', folder, moco),
      /its step must be an integer >= 0: current value is 1.5/,
    );
    await write(null);
    await assert.rejects(readCheckpointState('load it', folder, gan), /must hold an object: current value is null/);
  });
});

describe('toJsonValue', () => {
  it('copies JSON values (undefined as null) and refuses what JSON cannot keep', () => {
    const value = { a: [1, 'x', null], b: { c: true } };
    const copy = toJsonValue('save', 'meta', value);
    assert.deepEqual(copy, value);
    assert.notEqual(copy, value);
    assert.equal(toJsonValue('save', 'meta', undefined), null);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(
      () => toJsonValue('save a checkpoint', 'loaderState', cycle),
      (e: Error) =>
        e instanceof TypeError && /Cannot save a checkpoint as loaderState must be JSON-serialisable/.test(e.message),
    );
    assert.throws(() => toJsonValue('save', 'meta', () => 1), TypeError);
    assert.throws(() => toJsonValue('save', 'meta', 1n), TypeError);
  });
});
