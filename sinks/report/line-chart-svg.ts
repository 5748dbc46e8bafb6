/** One named line of a {@link lineChartSvg}. */
export interface ChartSeries {
  /** Legend text. */
  readonly name: string;
  /** `[x, y]` points, in x order; non-finite y values are left out (a gap is not drawn). */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

/** Options of {@link lineChartSvg}. */
export interface LineChartOptions {
  /** Title above the plot. */
  readonly title: string;
  /** Label under the x axis. @default 'step' */
  readonly xLabel?: string;
  /** Label beside the y axis. @default '' */
  readonly yLabel?: string;
  /** Width in pixels. @default 640 */
  readonly width?: number;
  /** Height in pixels. @default 300 */
  readonly height?: number;
  /**
   * Most points drawn per series: longer series are reduced to bucket means (a 100k-step run stays a
   * small file). An integer >= 2.
   * @default 800
   */
  readonly maxPoints?: number;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const MARGIN = { left: 64, right: 16, top: 28, bottom: 40 };

/**
 * A line chart as a standalone SVG string (no script, no external asset), for the HTML run report:
 * one polyline per series, axes with about five round ticks each, a legend. Deterministic: the same
 * input gives the same bytes. Text is XML-escaped.
 *
 * @example
 * lineChartSvg([{ name: 'dLoss', points: [[1, 1.9], [2, 1.7]] }], { title: 'losses' });
 * @throws RangeError for a bad size or maxPoints.
 */
export function lineChartSvg(series: readonly ChartSeries[], options: LineChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 300;
  const maxPoints = options.maxPoints ?? 800;
  for (const [name, value, min] of [
    ['width', width, 100],
    ['height', height, 80],
    ['maxPoints', maxPoints, 2],
  ] as const) {
    if (!Number.isInteger(value) || value < min)
      throw new RangeError(
        `Cannot draw a line chart as ${name} must be an integer >= ${min}: current value is ${value}`,
      );
  }
  const lines = series.map((s) => ({
    name: s.name,
    points: reduce(
      s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
      maxPoints,
    ),
  }));
  const all = lines.flatMap((l) => l.points);
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  if (all.length === 0) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#888">no data</text></svg>`);
    return parts.join('');
  }
  const [x0, x1] = span(all.map((p) => p[0]));
  const [y0, y1] = span(all.map((p) => p[1]));
  const xTicks = ticks(x0, x1);
  const yTicks = ticks(y0, y1);
  const xMin = Math.min(x0, xTicks[0]!);
  const xMax = Math.max(x1, xTicks[xTicks.length - 1]!);
  const yMin = Math.min(y0, yTicks[0]!);
  const yMax = Math.max(y1, yTicks[yTicks.length - 1]!);
  const sx = (x: number) => MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  );
  for (const t of xTicks) {
    parts.push(
      `<line x1="${fmt(sx(t))}" y1="${MARGIN.top + plotH}" x2="${fmt(sx(t))}" y2="${MARGIN.top + plotH + 4}" stroke="#999"/>`,
    );
    parts.push(`<text x="${fmt(sx(t))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${label(t)}</text>`);
  }
  for (const t of yTicks) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${fmt(sy(t))}" x2="${MARGIN.left + plotW}" y2="${fmt(sy(t))}" stroke="#eee"/>`,
    );
    parts.push(`<text x="${MARGIN.left - 6}" y="${fmt(sy(t) + 4)}" text-anchor="end">${label(t)}</text>`);
  }
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 6}" text-anchor="middle">${escapeXml(options.xLabel ?? 'step')}</text>`,
  );
  if (options.yLabel) {
    parts.push(
      `<text x="12" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 12 ${MARGIN.top + plotH / 2})">${escapeXml(options.yLabel)}</text>`,
    );
  }
  lines.forEach((line, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    if (line.points.length === 1) {
      const [x, y] = line.points[0]!;
      parts.push(`<circle cx="${fmt(sx(x))}" cy="${fmt(sy(y))}" r="3" fill="${colour}"/>`);
    } else if (line.points.length > 1) {
      parts.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${line.points.map(([x, y]) => `${fmt(sx(x))},${fmt(sy(y))}`).join(' ')}"/>`,
      );
    }
    const ly = MARGIN.top + 12 + i * 14;
    parts.push(`<rect x="${MARGIN.left + 8}" y="${ly - 8}" width="10" height="3" fill="${colour}"/>`);
    parts.push(`<text x="${MARGIN.left + 22}" y="${ly - 3}">${escapeXml(line.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Escapes the five XML special characters. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Bucket means, so that at most `max` points remain; the first and last x are kept. */
function reduce(points: ReadonlyArray<readonly [number, number]>, max: number): Array<readonly [number, number]> {
  if (points.length <= max) return [...points];
  const out: Array<readonly [number, number]> = [];
  const size = points.length / max;
  for (let b = 0; b < max; b++) {
    const from = Math.floor(b * size);
    const to = Math.max(from + 1, Math.floor((b + 1) * size));
    let sx = 0;
    let sy = 0;
    for (let i = from; i < to; i++) {
      sx += points[i]![0];
      sy += points[i]![1];
    }
    out.push([sx / (to - from), sy / (to - from)]);
  }
  return out;
}

function span(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

/** About five round ticks (1, 2 or 5 times a power of ten) covering [lo, hi]. */
function ticks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  if (out[out.length - 1]! < hi) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

function label(value: number): string {
  if (value === 0) return '0';
  const a = Math.abs(value);
  return a >= 1e5 || a < 1e-3 ? value.toExponential(1) : String(Number(value.toPrecision(4)));
}

function fmt(n: number): string {
  return n.toFixed(1);
}
