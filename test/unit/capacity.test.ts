import { describe, expect, it } from 'vitest';
import { connectionsHeld, type CapacityPartResult, type CapacityRun } from '../../bench/parts/capacity.js';
import { costCurveMarkdown, costCurveSvg } from '../../bench/harness/costCurve.js';

describe('bench capacity: connections held and the cost curve', () => {
  it('turns a refresh rate into connections by the plan: one refresh per lifetime less its lead', () => {
    // 300 s margin: a 10-minute token is refreshed a quarter before it lapses (450 s), longer ones 300 s before
    expect(connectionsHeld(10, 300)).toEqual([
      { lifetime: '10 minutes', refreshEverySeconds: 450, connections: 4_500 },
      { lifetime: '1 hour', refreshEverySeconds: 3_300, connections: 33_000 },
      { lifetime: '24 hours', refreshEverySeconds: 86_100, connections: 861_000 },
    ]);
  });

  it('draws one point per step, by size and worker count, in the table and the SVG', () => {
    const step = (connections: number, cpu: number, rss: number) =>
      ({ connections, serverCpuMsPerRefresh: cpu, serverRssMiBPer1000: rss }) as CapacityRun['steps'][number];
    const capacity = {
      runs: [
        { workers: 1, steps: [step(4_000, 9.5, 120), step(1_000, 12, 400)] },
        { workers: 2, steps: [step(8_000, 11, 90)] },
      ],
    } as unknown as CapacityPartResult;
    expect(costCurveMarkdown(capacity).split('\n').slice(2)).toEqual([
      '| 1 | 1,000 | 12 | 400 |',
      '| 1 | 4,000 | 9.5 | 120 |',
      '| 2 | 8,000 | 11 | 90 |',
    ]);
    const svg = costCurveSvg(capacity);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(4); // two panels, a line per worker count
    expect(svg.match(/<circle /g)).toHaveLength(6);
    expect(svg).toContain('2 workers');
  });
});
