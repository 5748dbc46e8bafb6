import type * as TFJS from '@tensorflow/tfjs';

/** What the custom layers read and write of their weights (tfjs-layers' `LayerVariable`). */
export interface LayerVariable {
  read(): TFJS.Tensor;
  write(value: TFJS.Tensor): unknown;
}

/** tfjs-layers' (protected) `Layer.addWeight`, as the custom layers call it in `build`. */
export type AddWeight = (
  name: string,
  shape: number[],
  dtype: 'float32',
  init: unknown,
  reg?: undefined,
  trainable?: boolean,
) => LayerVariable;

/** `layer`'s `addWeight`, bound to it (the custom layers add their weights with it). */
export function addWeightOf(layer: TFJS.layers.Layer): AddWeight {
  return (layer as unknown as { addWeight: AddWeight }).addWeight.bind(layer);
}
