import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { forwardMacs, stepMacs } from '../../bench/gan-macs.js';
import { createGan } from '../../sinks/gan/create-gan.js';

describe('forwardMacs', () => {
  it('counts a small DCGAN layer by layer as computed by hand', () => {
    // ch 4, 32 px, z 8, RGB. G: dense 8 -> 4*4*16; convT 4x4x16 -> 8x8x8, 8x8x8 -> 16x16x4, 16x16x4 -> 32x32x3 (k 4).
    // D: conv 32x32x3 -> 16x16x4, -> 8x8x8, -> 4x4x16 (k 4, stride 2), dense 256 -> 1.
    const { generator, discriminator } = createGan(tf, 'dcgan', { ch: 4, size: 32, z: 8, channels: 3, seed: 1 });
    const g = forwardMacs(generator);
    const d = forwardMacs(discriminator);
    assert.deepEqual(
      g.layers.map((l) => [l.kind, l.macs]),
      [
        ['dense', 8 * 256],
        ['conv-transpose', 4 * 4 * 16 * 16 * 8],
        ['conv-transpose', 8 * 8 * 16 * 8 * 4],
        ['conv-transpose', 16 * 16 * 16 * 4 * 3],
      ],
    );
    assert.equal(g.total, 2048 + 32768 + 32768 + 49152);
    assert.deepEqual(
      d.layers.map((l) => [l.kind, l.macs]),
      [
        ['conv', 16 * 16 * 16 * 3 * 4],
        ['conv', 8 * 8 * 16 * 4 * 8],
        ['conv', 4 * 4 * 16 * 8 * 16],
        ['dense', 256],
      ],
    );
    assert.deepEqual(d.layers[1]?.conv, { input: [16, 16, 4], kernel: 4, strides: 2, padding: 'same', filters: 8 });
    assert.equal(stepMacs(64, g.total, d.total), 64 * (4 * g.total + 11 * d.total));
    generator.dispose();
    discriminator.dispose();
  });

  it('counts the spectrally normalised convolutions of BigGAN-32', () => {
    const { generator, discriminator } = createGan(tf, 'biggan', { ch: 4, size: 32, channels: 3, seed: 1 });
    const g = forwardMacs(generator);
    const d = forwardMacs(discriminator);
    // G ends with a 3x3 conv from 4*ch = 16 channels to RGB at 32x32; D starts with 3x3 convs on 32x32x3.
    const last = g.layers.at(-1);
    assert.equal(last?.kind, 'conv');
    assert.equal(last?.macs, 32 * 32 * 9 * 16 * 3);
    assert.ok(d.layers.some((l) => l.kind === 'conv' && l.conv?.input[2] === 3));
    assert.ok(g.total > 0 && d.total > 0);
    generator.dispose();
    discriminator.dispose();
  });
});
