/**
 * The settings of the paper's official NDA-GAN runs (`train_C10.sh`, `train_C10_cond.sh` of
 * ermongroup/NDA, BigGAN-PyTorch's `train_aug.py`): `--batch_size 64 --num_D_steps 4 --G_lr 2e-4
 * --D_lr 2e-4` (Adam betas (0, 0.999)), `--num_epochs 500`, `--ema --use_ema --ema_start 1000`
 * (decay 0.9999), `--G_init N02 --D_init N02`, no attention, `--model BigGAN_new` at the default
 * `G_ch = D_ch = 64`, `--alpha 0.25 --beta 0.75`, no `--augment` (no flip), `--save_every 2000
 * --num_save_copies 2`, `--test_every 5000 --start_eval 50` (FID every 5,000 iterations from
 * epoch 50 on) and `--which_best FID` (a copy of the weights whenever FID improves). An iteration
 * is one G step: the loader hands it `batch * D steps` = 256 images (`drop_last`), so an epoch of
 * CIFAR's 50,000 images is `floor(50000 / 256)` = 195 steps and 500 epochs are 97,500 steps.
 * The partners of stitch, mixup and cutmix are the official draw (`torch.randperm`).
 */
export const PAPER_PRESET = {
  batchSize: 64,
  dStepsPerG: 4,
  architecture: 'biggan',
  ch: 64,
  alpha: 0.25,
  beta: 0.75,
  augment: false,
  partners: 'official',
  epochs: 500,
  ema: { decay: 0.9999, start: 1000 },
  checkpointEvery: 2000,
  keepCheckpoints: 2,
  evalEvery: 5000,
  /** Evaluations start at this epoch (`--start_eval 50`). */
  evalFromEpoch: 50,
} as const;

/** The presets a GAN pipeline offers (`--preset paper`). */
export const GAN_PRESETS = ['paper'] as const;

/** A preset's name. */
export type GanPresetName = (typeof GAN_PRESETS)[number];

/** The options a preset sets, by option key: a run that gives one of them overrides the preset (`presetOverrides`). */
export const PRESET_OPTION_KEYS = [
  'batchSize',
  'architecture',
  'ch',
  'alpha',
  'beta',
  'augment',
  'partners',
  'epochs',
  'steps',
  'checkpointEvery',
  'evalEvery',
] as const;

/**
 * Generator steps of `epochs` passes as the official loop counts them: `floor(samples / (batch *
 * dStepsPerG))` iterations per epoch (the last incomplete one dropped), at least 1.
 */
export function stepsForEpochs(samples: number, batchSize: number, dStepsPerG: number, epochs: number): number {
  return Math.max(1, Math.floor(samples / (batchSize * dStepsPerG))) * epochs;
}
