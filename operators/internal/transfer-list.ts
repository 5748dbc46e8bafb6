/**
 * The ArrayBuffers of a value that can be moved to another thread without a copy: those of typed
 * arrays (and Buffers) that cover their whole buffer, found in the value, its arrays and plain
 * objects (a few levels deep). A view of part of a buffer (a Buffer from Node's pool, a slice of a
 * tar chunk) is left out: moving it would detach the memory its neighbours use, so it is copied.
 * Shared buffers are never listed (they are shared, not moved).
 */
export function transferablesOf(value: unknown, maxDepth = 4): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const visit = (v: unknown, depth: number): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      const buffer = v.buffer;
      if (
        buffer instanceof ArrayBuffer &&
        v.byteOffset === 0 &&
        v.byteLength === buffer.byteLength &&
        buffer.byteLength > 0
      )
        found.add(buffer);
      return;
    }
    if (v instanceof ArrayBuffer) {
      if (v.byteLength > 0) found.add(v);
      return;
    }
    if (depth >= maxDepth) return;
    if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'object' && x !== null) visit(x, depth + 1);
      return;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return;
    for (const x of Object.values(v)) visit(x, depth + 1);
  };
  visit(value, 0);
  return [...found];
}
