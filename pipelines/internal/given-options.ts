/**
 * The options a run was given, the others left undefined: what the training pipelines compare with a
 * resumed run's saved configuration (a default filled in by `definePipeline` must not contradict it).
 */
export function givenOptions<T extends object>(
  options: T,
  given: ReadonlySet<string>,
): { readonly [K in keyof T]?: T[K] } {
  const out: Partial<T> = {};
  for (const key of Object.keys(options) as (keyof T & string)[]) if (given.has(key)) out[key] = options[key];
  return out;
}
