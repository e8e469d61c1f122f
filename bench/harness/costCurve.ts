import type { CapacityPartResult, CapacityRun } from '../parts/capacity.js';

interface CostPoint {
  connections: number;
  cpuMsPerRefresh: number;
  rssMiBPer1000: number;
}

/** One point per capacity step, by size (the cost curve of one worker count). */
export function costPoints(run: CapacityRun): CostPoint[] {
  return run.steps
    .map((s) => ({
      connections: s.connections,
      cpuMsPerRefresh: s.serverCpuMsPerRefresh,
      rssMiBPer1000: s.serverRssMiBPer1000,
    }))
    .sort((a, b) => a.connections - b.connections);
}

/** The cost curve as a markdown table, a row per step of every worker count. */
export function costCurveMarkdown(capacity: CapacityPartResult): string {
  const rows = capacity.runs.flatMap((run) =>
    costPoints(run).map(
      (p) =>
        `| ${run.workers} | ${p.connections.toLocaleString('en-US')} | ${p.cpuMsPerRefresh} | ${p.rssMiBPer1000} |`,
    ),
  );
  return [
    '| workers | connections | server CPU per refresh (ms) | server RSS per 1,000 connections (MiB) |',
    '| ------: | ----------: | --------------------------: | -------------------------------------: |',
    ...rows,
  ].join('\n');
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

const WIDTH = 640;
const PANEL = 200;
const MARGIN = { left: 70, right: 20, top: 30, bottom: 40 };

/** The cost curve as an SVG of two panels (CPU per refresh, RSS per 1,000 connections) against size. */
export function costCurveSvg(capacity: CapacityPartResult): string {
  const series = capacity.runs.map((run) => ({ workers: run.workers, points: costPoints(run) }));
  const height = 2 * (PANEL + MARGIN.top + MARGIN.bottom);
  const panels = [
    panel(series, (p) => p.cpuMsPerRefresh, 'server CPU per refresh (ms)', 0),
    panel(series, (p) => p.rssMiBPer1000, 'server RSS per 1,000 connections (MiB)', PANEL + MARGIN.top + MARGIN.bottom),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}

function panel(
  series: Array<{ workers: number; points: CostPoint[] }>,
  y: (p: CostPoint) => number,
  title: string,
  top: number,
): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const x0 = MARGIN.left;
  const y0 = top + MARGIN.top;
  const all = series.flatMap((s) => s.points);
  const maxX = Math.max(1, ...all.map((p) => p.connections));
  const maxY = Math.max(1e-9, ...all.map(y)) * 1.1;
  const px = (v: number) => x0 + (v / maxX) * plotWidth;
  const py = (v: number) => y0 + PANEL - (v / maxY) * PANEL;
  const yTicks = [0, 0.5, 1].map(
    (f) => `<text x="${x0 - 6}" y="${py(maxY * f) + 4}" text-anchor="end">${round3(maxY * f)}</text>`,
  );
  const xTicks = [...new Set(all.map((p) => p.connections))].map(
    (c) => `<text x="${px(c)}" y="${y0 + PANEL + 16}" text-anchor="middle">${c.toLocaleString('en-US')}</text>`,
  );
  const lines = series.flatMap(({ workers, points }, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const line = points.map((p) => `${px(p.connections).toFixed(1)},${py(y(p)).toFixed(1)}`).join(' ');
    return [
      `<polyline points="${line}" fill="none" stroke="${colour}" stroke-width="2"/>`,
      ...points.map((p) => `<circle cx="${px(p.connections)}" cy="${py(y(p))}" r="3" fill="${colour}"/>`),
      `<text x="${x0 + plotWidth - 90}" y="${y0 + 14 * (i + 1)}" fill="${colour}">${workers} worker${workers === 1 ? '' : 's'}</text>`,
    ];
  });
  return [
    `<text x="${x0}" y="${y0 - 10}" font-weight="bold">${title}</text>`,
    `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y0 + PANEL}" stroke="black"/>`,
    `<line x1="${x0}" y1="${y0 + PANEL}" x2="${x0 + plotWidth}" y2="${y0 + PANEL}" stroke="black"/>`,
    ...yTicks,
    ...xTicks,
    `<text x="${x0 + plotWidth / 2}" y="${y0 + PANEL + 32}" text-anchor="middle">active connections</text>`,
    ...lines,
  ].join('\n');
}

function round3(v: number): string {
  return Number(v.toPrecision(3)).toString();
}
