/** The MoCo checkpoint pair in one import: {@link saveMocoCheckpoint} and {@link loadMocoCheckpoint}. */
export {
  saveMocoCheckpoint,
  MOCO_CHECKPOINT_VERSION,
  MOCO_MODEL_PARTS,
  type SaveMocoCheckpointOptions,
} from './save-moco-checkpoint.js';
export {
  loadMocoCheckpoint,
  type LoadMocoCheckpointOptions,
  type LoadedMocoCheckpoint,
} from './load-moco-checkpoint.js';
