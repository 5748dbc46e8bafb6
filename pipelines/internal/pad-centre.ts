import type { ImageBatch } from '../../sources/sample.js';

/**
 * Greyscale test images as the 32 px networks see them: Fashion-MNIST's 28 px padded by `(size - h) / 2`
 * px of 0 on each side (the centre of what training's `randomCrop({size: 32, pad: 2})` draws from).
 * Images already `size` px come back as they are.
 * @throws Error when the images are not greyscale or larger than `size`.
 */
export function padCentre(images: ImageBatch, size = 32): ImageBatch {
  const [n, h, w, c] = images.shape;
  if (c !== 1) throw new Error(`Cannot pad the test images as they must be greyscale: current value is ${c} channels`);
  if (h > size || w > size)
    throw new Error(`Cannot pad the test images as they must be at most ${size} px: current value is ${h}x${w}`);
  if (h === size && w === size) return images;
  const top = Math.floor((size - h) / 2);
  const left = Math.floor((size - w) / 2);
  const out = new Uint8Array(n * size * size);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      const from = (i * h + y) * w;
      out.set(images.data.subarray(from, from + w), (i * size + y + top) * size + left);
    }
  }
  return { data: out, shape: [n, size, size, 1] };
}
