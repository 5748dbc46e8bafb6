/**
 * The helper thread of a `SimdTeam`: instantiates the team's module on the shared memory, then waits for
 * a generation number, runs the function with the arguments the main thread left for it, and answers with
 * the same number (on failure also the error's message, on its port).
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { SLOT, type SimdTeamWorkerData } from './simd-team-slots.js';

const { memory, module, functions, control, port } = workerData as SimdTeamWorkerData & { port: MessagePort };
const instance = new WebAssembly.Instance(module, { env: { memory } });
const table = functions.map((name) => instance.exports[name] as (...args: number[]) => void);
const ctl = new Int32Array(control);
let seen = 0;
for (;;) {
  Atomics.wait(ctl, SLOT.generation, seen);
  const generation = Atomics.load(ctl, SLOT.generation);
  if (generation === seen) continue;
  seen = generation;
  if (Atomics.load(ctl, SLOT.stop) !== 0) break;
  let failed = 0;
  try {
    const args = Array.from(ctl.subarray(SLOT.args, SLOT.args + ctl[SLOT.argCount]!));
    table[ctl[SLOT.fn]!]!(...args);
  } catch (error) {
    failed = 1;
    port.postMessage(error instanceof Error ? error.message : String(error));
  }
  Atomics.store(ctl, SLOT.failed, failed);
  Atomics.store(ctl, SLOT.done, generation);
  Atomics.notify(ctl, SLOT.done);
}
port.close();
