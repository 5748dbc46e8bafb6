import { Observable, type OperatorFunction } from 'rxjs';
import { ticketOf, type Ticket } from './ledger.js';
import { LINEAGE, lineagesOf, type Lineage } from './sample.js';

/** What a loader knows of one of its stages (the operators given to `createLoader`). */
export interface StageView {
  /** 1-based position among the loader's stages. */
  readonly position: number;
  /** The operator function's name, or `''` for an anonymous one (stock RxJS operators are). */
  readonly name: string;
  /** Samples it declares it may hold (`holding(n, op)`, found through `pipe()` too). */
  readonly declared: number;
  /** Samples that entered it (a batch counts its members). */
  received: number;
  /** Samples that left it (a sample emitted twice counts twice). */
  emitted: number;
  /** Samples it dropped without settling them (noticed when they were collected). */
  dropped: number;
}

/** `stage 3 of 5 (batch)` / `stage 3 of 5 (unnamed RxJS operator)`. */
export function describeStage(stage: StageView, count: number): string {
  return `stage ${stage.position} of ${count} (${stage.name === '' ? 'unnamed RxJS operator' : stage.name})`;
}

let assembly: { holds: number; inside: boolean } | undefined;

/**
 * Called by `holding(n, op)` when its operator is applied: while a loader assembles a stage, the
 * outermost declared holding inside it is added to that stage's declaration. This is how holdings
 * declared inside `pipe(shuffle(1000), decode(), batch(64))` reach the loader (a `pipe()` hides
 * its operators' properties). Returns whether the caller is the outermost declaration, which must
 * call {@link endDeclaration} after applying its operator.
 */
export function declareHolding(holds: number): boolean {
  if (assembly === undefined || assembly.inside) return false;
  assembly.holds += holds;
  assembly.inside = true;
  return true;
}

/** Ends the declaration begun by {@link declareHolding} (returning true). */
export function endDeclaration(): void {
  if (assembly) assembly.inside = false;
}

/**
 * What an operator declares it holds, found by applying it once to a source that never emits (an
 * operator function only builds an Observable when applied: nothing runs until subscribed).
 */
export function declaredHolding(op: OperatorFunction<unknown, unknown>): number {
  const outer = assembly;
  assembly = { holds: 0, inside: false };
  try {
    op(new Observable<unknown>(() => undefined));
    return assembly.holds;
  } finally {
    assembly = outer;
  }
}

/**
 * The loader's view of its stages: each operator is wrapped so that the loader sees every sample
 * that enters and leaves it (by its lineage), and records on the sample's ticket the stage that
 * has it. Per item crossing a boundary: one field write per sample, no allocation for a sample
 * or a batch, no closure.
 *
 * An item without lineage (`map((s) => s.cls)` makes a number) that a stage emits synchronously
 * while it handles an input is attributed to that input: the attribution travels with the item
 * through the next synchronous stages to the consumer, where delivering the item settles the
 * input's samples as delivered. An item without lineage emitted at any other time (from a timer,
 * a promise) cannot be attributed: its samples are counted as dropped when collected.
 */
export class StageTracker {
  readonly stages: StageView[];
  /** Per stage, the input it is handling right now (synchronously), if any. */
  private readonly activeItem: unknown[];
  /** Per stage, the attribution of that input when it carries no lineage of its own. */
  private readonly activeCarry: (readonly Lineage[] | undefined)[];
  /** The attribution of an item without lineage on its way from one boundary to the next. */
  private carry: readonly Lineage[] | undefined;

  constructor(stages: readonly { readonly name: string; readonly declared: number }[]) {
    this.stages = stages.map((s, i) => ({ position: i + 1, ...s, received: 0, emitted: 0, dropped: 0 }));
    this.activeItem = stages.map(() => undefined);
    this.activeCarry = stages.map(() => undefined);
  }

  /** The stage `op` wrapped: its input and output boundaries instrumented. */
  instrument(index: number, op: OperatorFunction<unknown, unknown>): OperatorFunction<unknown, unknown> {
    return (source) => {
      const entering = new Observable<unknown>((subscriber) =>
        source.subscribe({
          next: (item) => this.enter(index, item, subscriber),
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      );
      const inner = op(entering);
      return new Observable<unknown>((subscriber) =>
        inner.subscribe({
          next: (item) => this.leave(index, item, subscriber),
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      );
    };
  }

  /** The attribution of an item without lineage reaching the consumer (taken once). */
  takeCarry(): readonly Lineage[] | undefined {
    const c = this.carry;
    this.carry = undefined;
    return c;
  }

  /** A sample was collected unsettled: count the drop on the stage that last had it. */
  dropped(ticket: Ticket): void {
    const stage = this.stages[ticket.stage - 1];
    if (stage) stage.dropped++;
  }

  private stage(index: number): StageView {
    const stage = this.stages[index];
    if (stage === undefined)
      throw new RangeError(`Cannot instrument stage ${index + 1} as the loader has ${this.stages.length}`);
    return stage;
  }

  private enter(index: number, item: unknown, subscriber: { next(value: unknown): void }): void {
    const stage = this.stage(index);
    let carried: readonly Lineage[] | undefined;
    let n = markItem(item, index + 1);
    if (n < 0) {
      carried = this.takeCarry();
      n = carried ? mark(carried, index + 1) : 0;
    }
    stage.received += n;
    const outerItem = this.activeItem[index];
    const outerCarry = this.activeCarry[index];
    this.activeItem[index] = item;
    this.activeCarry[index] = carried;
    try {
      subscriber.next(item);
    } finally {
      this.activeItem[index] = outerItem;
      this.activeCarry[index] = outerCarry;
    }
  }

  private leave(index: number, item: unknown, subscriber: { next(value: unknown): void }): void {
    const stage = this.stage(index);
    let n = markItem(item, index + 2);
    if (n < 0) {
      // no lineage: attribute it to the input this stage is handling right now, if any
      const from = this.activeCarry[index] ?? lineagesOf(this.activeItem[index]);
      this.carry = from.length > 0 ? from : undefined;
      n = mark(from, index + 2);
    }
    stage.emitted += n;
    try {
      subscriber.next(item);
    } finally {
      this.carry = undefined;
    }
  }
}

/**
 * Records `stage` on the tickets of the samples an item carries, without allocating for a sample or
 * a batch; returns how many belong to a ledger, or -1 when the item carries no lineage at all.
 */
function markItem(item: unknown, stage: number): number {
  if (typeof item !== 'object' || item === null) return -1;
  const own = (item as { [LINEAGE]?: Lineage | readonly Lineage[] })[LINEAGE];
  if (own === undefined) {
    const inside = lineagesOf(item);
    return inside.length === 0 ? -1 : mark(inside, stage);
  }
  if (!Array.isArray(own)) {
    const ticket = ticketOf(own as Lineage);
    if (ticket === undefined) return 0;
    ticket.stage = stage;
    return 1;
  }
  return mark(own as readonly Lineage[], stage);
}

/** Records `stage` on the tickets of `lineages`; returns how many belong to a ledger. */
function mark(lineages: readonly Lineage[], stage: number): number {
  let n = 0;
  for (const l of lineages) {
    const ticket = ticketOf(l);
    if (ticket !== undefined) {
      ticket.stage = stage;
      n++;
    }
  }
  return n;
}
