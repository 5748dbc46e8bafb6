import type * as TFJS from '@tensorflow/tfjs';

/**
 * The number of classes of a class-conditional model built by `createDcgan` / `createSnResnetGan`
 * (two inputs, the second the `[n, 1]` labels; read from its class layers' `classes` config), or
 * `null` for an unconditional (single-input) model.
 *
 * @throws TypeError for a two-input model without a class layer.
 */
export function conditionalClasses(model: TFJS.LayersModel): number | null {
  if (model.inputs.length < 2) return null;
  for (const layer of model.layers) {
    const classes = (layer.getConfig() as { classes?: unknown }).classes;
    if (typeof classes === 'number' && Number.isInteger(classes) && classes >= 1) return classes;
  }
  throw new TypeError(
    `Cannot read the classes of model ${model.name} as it must have a class-conditional layer: it has ${model.inputs.length} inputs and none`,
  );
}
