/**
 * Node flags for our piscina worker threads. Piscina loads a task module with `require()` first;
 * on Node versions where `require()` of an ES module is on by default (20.19+), that path has
 * aborted the whole process (an assertion in `CreateRequiredModuleFacade`, seen once in our suite
 * with the ndaPairs pool). Turning it off in the workers makes piscina fall back to `import()`,
 * which is how our ESM worker entries are meant to load. Read when a pool is created, not at import.
 */
export function poolExecArgv(): string[] {
  const flag = '--no-experimental-require-module';
  const supported = process.allowedNodeEnvironmentFlags.has(flag);
  return supported && !process.execArgv.includes(flag) ? [...process.execArgv, flag] : [...process.execArgv];
}
