// The backend names on their own, without TF.js: `ndaflow/pipelines` (the `--backend` option) names
// them, and its declarations must not pull in @tensorflow/* types (they do not compile with
// skipLibCheck: false, see the README), so this module imports nothing.

/** The backends ndaflow can run on, best first. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** The order `selectBackend` tries them in when none is forced. */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
