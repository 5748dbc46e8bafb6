import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, lineChartSvg } from '../../../sinks/report/line-chart-svg.js';

/** The numbers of a polyline's `points` attribute. */
function polylines(svg: string): Array<Array<[number, number]>> {
  return [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) =>
    m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]),
  );
}

describe('lineChartSvg', () => {
  it('draws one polyline per series inside the plot box, higher values higher up', () => {
    const svg = lineChartSvg(
      [
        {
          name: 'dLoss',
          points: [
            [1, 2],
            [2, 1],
            [3, 0.5],
          ],
        },
        {
          name: 'gLoss',
          points: [
            [1, 0],
            [2, 1],
            [3, 1.5],
          ],
        },
      ],
      { title: 'losses', width: 400, height: 200 },
    );
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="400" height="200"/);
    const lines = polylines(svg);
    assert.equal(lines.length, 2);
    for (const line of lines)
      for (const [x, y] of line) assert.ok(x >= 64 && x <= 384 && y >= 28 && y <= 160, `${x},${y} outside the plot`);
    const [d] = lines;
    assert.ok(
      d![0]![1] < d![1]![1] && d![1]![1] < d![2]![1],
      'a falling series goes down the page (svg y grows downwards)',
    );
    assert.ok(d![0]![0] < d![1]![0] && d![1]![0] < d![2]![0]);
    assert.match(svg, />dLoss</);
    assert.match(svg, />gLoss</);
  });

  it('escapes text, skips non-finite points and says "no data" when nothing is left', () => {
    const svg = lineChartSvg(
      [
        {
          name: 'a<b & "c"',
          points: [
            [1, NaN],
            [2, Infinity],
          ],
        },
      ],
      { title: '<title>' },
    );
    assert.match(svg, /&lt;title&gt;/);
    assert.match(svg, /no data/);
    assert.doesNotMatch(svg, /<title>/);
    assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('reduces long series to at most maxPoints bucket means, keeping the trend', () => {
    const points = Array.from({ length: 10_000 }, (_, i) => [i, i] as const);
    const svg = lineChartSvg([{ name: 'x', points }], { title: 't', maxPoints: 50 });
    const [line] = polylines(svg);
    assert.equal(line!.length, 50);
    for (let i = 1; i < line!.length; i++) assert.ok(line![i]![1] < line![i - 1]![1]);
  });

  it('draws a single point as a dot and a constant series without dividing by zero', () => {
    const one = lineChartSvg([{ name: 'fid', points: [[100, 42]] }], { title: 'fid' });
    assert.match(one, /<circle cx="[\d.]+" cy="[\d.]+"/);
    const flat = lineChartSvg(
      [
        {
          name: 'c',
          points: [
            [1, 3],
            [2, 3],
          ],
        },
      ],
      { title: 'c' },
    );
    assert.doesNotMatch(flat, /NaN|Infinity/);
  });

  it('is deterministic and refuses bad sizes', () => {
    const s = [
      {
        name: 'a',
        points: [
          [0, 1],
          [5, 3],
        ] as const,
      },
    ];
    assert.equal(lineChartSvg(s, { title: 't' }), lineChartSvg(s, { title: 't' }));
    assert.throws(
      () => lineChartSvg(s, { title: 't', width: 10 }),
      /Cannot draw a line chart as width must be an integer >= 100: current value is 10/,
    );
    assert.throws(() => lineChartSvg(s, { title: 't', maxPoints: 1 }), RangeError);
  });
});
