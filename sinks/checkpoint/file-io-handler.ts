import type * as TFJS from '@tensorflow/tfjs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './write-file-atomic.js';

/** File names `fileIoHandler` writes in its folder. */
const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/**
 * A `tf.io.IOHandler` (save and load) that keeps a model in a folder with `node:fs`: `model.json`
 * (topology, `weightsManifest` and the other `ModelJSON` fields, as `tf.io` writes them) and one
 * `weights.bin`. It works on every backend (wasm and cpu have no `file://` handler), so
 * `await model.save(fileIoHandler(tf, dir))` and `await tf.loadLayersModel(fileIoHandler(tf, dir))` work
 * everywhere; artifacts without a topology (only weights) round-trip too.
 *
 * Saving creates the folder, writes each file to a temporary name, flushes it and renames it into place,
 * `weights.bin` before `model.json`, so a crash never leaves a `model.json` whose weights are missing or
 * half written.
 *
 * `tf` is the `@tensorflow/tfjs` module in use.
 *
 * @throws Error (on load) `Cannot load model artifacts as ...` when `model.json` is missing or not valid,
 * or the weights file is missing or has the wrong length.
 */
export function fileIoHandler(tf: typeof TFJS, dir: string): TFJS.io.IOHandler {
  return {
    async save(artifacts: TFJS.io.ModelArtifacts): Promise<TFJS.io.SaveResult> {
      await mkdir(dir, { recursive: true });
      const data = joinWeightData(tf, artifacts.weightData);
      const modelJson: Record<string, unknown> = {
        modelTopology: artifacts.modelTopology ?? null,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig !== undefined) modelJson['trainingConfig'] = artifacts.trainingConfig;
      if (artifacts.signature !== undefined) modelJson['signature'] = artifacts.signature;
      if (artifacts.userDefinedMetadata !== undefined) modelJson['userDefinedMetadata'] = artifacts.userDefinedMetadata;
      if (artifacts.modelInitializer !== undefined) modelJson['modelInitializer'] = artifacts.modelInitializer;
      await writeFileAtomic(join(dir, WEIGHTS_BIN), new Uint8Array(data));
      await writeFileAtomic(join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: data }) };
    },

    async load(): Promise<TFJS.io.ModelArtifacts> {
      const jsonPath = join(dir, MODEL_JSON);
      let text: string;
      try {
        text = await readFile(jsonPath, 'utf8');
      } catch (error) {
        throw new Error(`Cannot load model artifacts as ${jsonPath} must be readable: ${(error as Error).message}`, {
          cause: error,
        });
      }
      let modelJson: TFJS.io.ModelJSON;
      try {
        modelJson = JSON.parse(text) as TFJS.io.ModelJSON;
      } catch (error) {
        throw new Error(`Cannot load model artifacts as ${jsonPath} must be valid JSON: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (typeof modelJson !== 'object' || modelJson === null || !Array.isArray(modelJson.weightsManifest)) {
        throw new Error(`Cannot load model artifacts as ${jsonPath} must have a weightsManifest array`);
      }
      const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers: Uint8Array[] = [];
        for (const group of manifest) {
          for (const path of group.paths) {
            const file = join(dir, path);
            try {
              buffers.push(await readFile(file));
            } catch (error) {
              throw new Error(`Cannot load model artifacts as ${file} must be readable: ${(error as Error).message}`, {
                cause: error,
              });
            }
          }
        }
        const total = buffers.reduce((n, b) => n + b.byteLength, 0);
        const expected = specs.reduce((n, s) => n + specBytes(s), 0);
        if (Number.isFinite(expected) && total !== expected) {
          throw new Error(
            `Cannot load model artifacts as the weights in ${dir} must be ${expected} bytes: current value is ${total}`,
          );
        }
        const joined = new Uint8Array(total);
        let offset = 0;
        for (const b of buffers) {
          joined.set(b, offset);
          offset += b.byteLength;
        }
        return [specs, joined.buffer];
      });
      if (artifacts.modelTopology === null) delete artifacts.modelTopology;
      return artifacts;
    },
  };
}

function joinWeightData(tf: typeof TFJS, data: TFJS.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

/** Bytes of one weight in the file (quantised weights use their quantised dtype). */
function specBytes(spec: TFJS.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  if (spec.dtype === 'string') return Number.NaN;
  return count * (BYTES[dtype] ?? Number.NaN);
}
