/**
 * Multiply-adds of the GAN networks, counted from their layers, for `bench:train-step`'s achieved
 * GMAC/s: a convolution costs `H_out * W_out * k * k * C_in * C_out` per sample, a transposed one
 * `H_in * W_in * k * k * C_in * C_out` (each input pixel spreads one k x k x C_out block), a dense
 * layer `in * out`; normalisation, activations, upsampling, pooling, embeddings and the spectral
 * norm's power iteration are not counted (they are memory-bound and small beside the convolutions).
 */
import type * as TFJS from '@tensorflow/tfjs';

/** One counted layer. */
export interface CountedLayer {
  readonly name: string;
  /** `conv`, `conv-transpose` or `dense`. */
  readonly kind: 'conv' | 'conv-transpose' | 'dense';
  /** Multiply-adds of one sample's forward pass. */
  readonly macs: number;
  /** For a convolution: the input [H, W, C_in], kernel side, stride, padding and C_out (to time it alone). */
  readonly conv?: {
    readonly input: readonly [number, number, number];
    readonly kernel: number;
    readonly strides: number;
    readonly padding: 'same' | 'valid';
    readonly filters: number;
  };
}

/** The forward multiply-adds of one sample through `model`, with the layers that make them. */
export function forwardMacs(model: TFJS.LayersModel): { readonly total: number; readonly layers: CountedLayer[] } {
  const layers: CountedLayer[] = [];
  for (const layer of model.layers) {
    const kernel = layer.weights.find((w) => w.name.endsWith('kernel'));
    if (kernel === undefined) continue;
    const k = kernel.shape;
    const input = firstShape(layer.getInputAt(0));
    const output = firstShape(layer.getOutputAt(0));
    if (k.length === 2) {
      layers.push({ name: layer.name, kind: 'dense', macs: (k[0] as number) * (k[1] as number) });
    } else if (k.length === 4) {
      const transpose = layer.getClassName().includes('Transpose');
      // conv kernels are [k, k, C_in, C_out]; transposed ones [k, k, C_out, C_in]
      const [kh, kw, a, b] = k as [number, number, number, number];
      const [h, w] = transpose ? [input[1], input[2]] : [output[1], output[2]];
      const macs = (h as number) * (w as number) * kh * kw * a * b;
      const config = layer.getConfig();
      const strides = Array.isArray(config['strides']) ? Number(config['strides'][0]) : Number(config['strides'] ?? 1);
      layers.push({
        name: layer.name,
        kind: transpose ? 'conv-transpose' : 'conv',
        macs,
        conv: {
          input: [input[1] as number, input[2] as number, input[3] as number],
          kernel: kh,
          strides,
          padding: config['padding'] === 'valid' ? 'valid' : 'same',
          filters: transpose ? a : b,
        },
      });
    }
  }
  return { total: layers.reduce((s, l) => s + l.macs, 0), layers };
}

/**
 * Multiply-adds of one `ndaGanStep` at batch `n`, from G's and D's forward counts per sample: the D
 * update runs G forward on n and D forward and backward (input and weight gradients, ~2x forward)
 * on 3n (real, fake, negative); the G update runs G and D forward on n, D backward for the input
 * gradient only (~1x) and G backward (~2x). Total `n * (4 G + 11 D)`.
 */
export function stepMacs(n: number, generator: number, discriminator: number): number {
  return n * (4 * generator + 11 * discriminator);
}

function firstShape(tensor: TFJS.SymbolicTensor | TFJS.SymbolicTensor[]): (number | null)[] {
  return (Array.isArray(tensor) ? (tensor[0] as TFJS.SymbolicTensor) : tensor).shape;
}
