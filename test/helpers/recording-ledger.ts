import { LINEAGE, type LedgerLike, type Lineage, type Sample } from '../../sources/sample.js';

/**
 * A ledger for operator tests: records which samples were delivered or skipped (and why), and
 * makes samples that carry lineage bound to it, without reading any shard.
 */
export class RecordingLedger implements LedgerLike {
  readonly delivered: string[] = [];
  readonly skipped: { key: string; reason: string; error?: unknown }[] = [];
  private readonly keys = new Map<Lineage, string>();
  private next = 0;

  /** A sample with the given key and fields, carrying a fresh lineage of this ledger (pass = epoch). */
  sample<F extends Record<string, unknown>>(key: string, fields: F = {} as F, pass = 0): Sample & F {
    const lineage: Lineage = { ledger: this, pass, shard: 0, index: this.next++ };
    this.keys.set(lineage, key);
    return { __key__: key, __url__: 'mem://test.tar', ...fields, [LINEAGE]: lineage };
  }

  settleSkipped(lineage: Lineage, reason: string, error?: unknown): void {
    this.skipped.push({ key: this.keys.get(lineage) ?? '?', reason, error });
  }

  settleDelivered(lineage: Lineage): void {
    this.delivered.push(this.keys.get(lineage) ?? '?');
  }

  /** Skipped keys under one reason. */
  skippedKeys(reason?: string): string[] {
    return this.skipped.filter((s) => reason === undefined || s.reason === reason).map((s) => s.key);
  }
}
