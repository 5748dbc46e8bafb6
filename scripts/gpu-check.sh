#!/usr/bin/env bash
# GPU check for issue 12, item 6: one script that sets up what it needs and runs the NDA-GAN train
# step on a TF.js GPU backend on an NVIDIA machine WITHOUT internet, within 10 minutes.
#
# Which backend: tfjs-node-gpu 4.22 needs libtensorflow 2.9.1 for CUDA 11.2 downloaded at install, which
# cannot happen offline (DESIGN.md). What can: @tensorflow/tfjs-backend-webgpu 4.22.0 over Dawn's
# `webgpu` npm package (its native binary is inside the package), on the machine's Vulkan driver
# (NVIDIA's ICD). On a CPU-only Debian machine Dawn finds no adapter (lavapipe lacks a feature it needs).
#
# Two phases, because the GPU machine has no registry:
#   scripts/gpu-check.sh --prepare   (here, with the npm registry) packs the two packages into .gpu-check/
#   scripts/gpu-check.sh             (there) installs them from .gpu-check/ offline, probes the adapter,
#                                    builds, and times dcgan, sn-resnet and biggan steps on webgpu.
# Output: the probe's lines, per-arch ms/step, and one JSON line {"backend": "webgpu", "dcgan": {...}, ...}.
# Run it through the device tool with carry [".gpu-check", "node_modules", "dist"] (dist from npm run build) and timeout_s 600.
# Status: written, NOT run (no GPU was lent to the session that wrote it).
set -euo pipefail
cd "$(dirname "$0")/.."
PACK=.gpu-check
if [[ "${1:-}" == "--prepare" ]]; then
  mkdir -p "$PACK"
  (cd "$PACK" && npm pack webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 >/dev/null)
  ls -l "$PACK"
  exit 0
fi

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "no nvidia-smi"
ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null || echo "no Vulkan ICD files found"
node --version

echo "== install (offline, from $PACK)"
ls "$PACK"/*.tgz >/dev/null 2>&1 || { echo "run scripts/gpu-check.sh --prepare on a machine with the npm registry first"; exit 2; }
[[ -d node_modules/@tensorflow/tfjs ]] || npm ci --offline --no-audit --no-fund
npm install --no-save --offline --no-audit --no-fund "$PACK"/*.tgz
[[ -f dist/sinks/gan/create-gan.js ]] || npm run build

echo "== probe and time"
timeout 540 node --input-type=module - <<'JS'
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
globalThis.navigator = { gpu: create([]) };
const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) { console.log('no WebGPU adapter: Dawn found no usable Vulkan device'); process.exit(3); }
const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
console.log(`adapter: ${info.vendor ?? '?'} ${info.architecture ?? ''} ${info.description ?? ''}`);
const tf = await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-webgpu');
await tf.setBackend('webgpu');
await tf.ready();
console.log(`backend: ${tf.getBackend()}`);
const { createGan } = await import('./dist/sinks/gan/create-gan.js');
const { ndaGanStep } = await import('./dist/sinks/gan/hinge-nda-step.js');
const out = { backend: 'webgpu' };
for (const [arch, ch] of [['dcgan', 64], ['sn-resnet', 128], ['biggan', 64]]) {
  const models = createGan(tf, arch, { z: 128, ch, size: 32, channels: 3, seed: 1 });
  const optimizers = { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) };
  const real = tf.randomUniform([64, 32, 32, 3], -1, 1, 'float32', 1);
  const negative = tf.randomUniform([64, 32, 32, 3], -1, 1, 'float32', 2);
  const times = [];
  for (let step = 0; step <= 5; step++) {
    const z = tf.randomNormal([64, 128], 0, 1, 'float32', 2 * step);
    const zG = tf.randomNormal([64, 128], 0, 1, 'float32', 2 * step + 1);
    const t = performance.now();
    const losses = await ndaGanStep(tf, models, optimizers, { real, negative, z, zG }); // reads back: synchronised
    const ms = performance.now() - t;
    tf.dispose([z, zG]);
    if (step > 0) times.push(ms);
    console.log(`${arch} ${step === 0 ? 'warm-up' : `step ${step}`}: ${ms.toFixed(1)} ms dLoss ${losses.dLoss.toFixed(4)} tensors ${tf.memory().numTensors}`);
  }
  times.sort((a, b) => a - b);
  out[arch] = { step_ms: Number(times[Math.floor(times.length / 2)].toFixed(1)) };
  tf.dispose([real, negative]);
  models.generator.dispose();
  models.discriminator.dispose();
}
console.log(JSON.stringify(out));
JS
