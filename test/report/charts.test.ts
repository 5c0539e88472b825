import { describe, expect, it } from 'vitest';
import { chartOption, histogramBins, renderChartSvg } from '../../src/services/report/charts.js';
import { minMaxIndices } from '../../src/services/report/downsample.js';
import { ChartSchema, CHART_KINDS, type Chart } from '../../src/services/report/schema.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const H = 3_600_000;

/** One small fixed chart of each kind (the snapshots under __snapshots__/ are their SVGs). */
export const SAMPLE_CHARTS: Chart[] = [
  { type: 'chart', id: 'line', title: 'equity', kind: 'line', data: { x_type: 'time', x: [0, 1, 2, 3, 4, 5].map((i) => T0 + i * H), series: [{ name: 'net', values: [100, 101, 99.5, 102, 103, 102.5] }, { name: 'gross', values: [100, 101.2, 99.9, 102.6, 103.8, 103.4], dashed: true }], y_unit: '', downsampled_from: null } },
  { type: 'chart', id: 'bar', title: 'IC', kind: 'bar', data: { categories: ['1h', '4h', '24h'], series: [{ name: 'IC', values: [0.03, -0.01, 0.05] }], errors: [{ lo: 0.01, hi: 0.05 }, { lo: -0.03, hi: 0.01 }, { lo: null, hi: null }], y_unit: '' } },
  { type: 'chart', id: 'heatmap', title: 'monthly', kind: 'heatmap', data: { x: ['Jan', 'Feb', 'Mar'], y: ['2025', '2026'], cells: [[0, 0, 1.5], [1, 0, -2.25], [2, 0, null], [0, 1, 0.5], [1, 1, 3]], unit: '%' } },
  { type: 'chart', id: 'waterfall', title: 'costs', kind: 'waterfall', data: { steps: [{ label: 'gross', value: 500 }, { label: 'fees', value: -120 }, { label: 'funding', value: 30 }], total_label: 'net', unit: '' } },
  { type: 'chart', id: 'histogram', title: 'trades', kind: 'histogram', data: { bins: [{ lo: -2, hi: -1, count: 3 }, { lo: -1, hi: 0, count: 7 }, { lo: 0, hi: 1, count: 9 }, { lo: 1, hi: 2, count: 2 }], x_unit: 'P&L' } },
  { type: 'chart', id: 'state', title: 'controller', kind: 'state', data: { x: [0, 3, 7, 9].map((i) => T0 + i * H), states: ['normal', 'reduced', 'halted'], values: [0, 1, 2, 0], downsampled_from: null } },
];

describe('chart SVG (ECharts SSR, no browser)', () => {
  it('covers every chart kind', () => {
    expect(SAMPLE_CHARTS.map((c) => c.kind).sort()).toEqual([...CHART_KINDS].sort());
    for (const c of SAMPLE_CHARTS) expect(ChartSchema.parse(c)).toEqual(c);
  });

  for (const c of SAMPLE_CHARTS) {
    it(`${c.kind}: deterministic, non-empty paths, matches its snapshot`, async () => {
      const a = renderChartSvg(c);
      const b = renderChartSvg(c);
      expect(a).toBe(b);
      expect(a.startsWith('<svg')).toBe(true);
      expect(a).not.toMatch(/\bzr\d+-/);
      const paths = [...a.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]!);
      expect(paths.length).toBeGreaterThanOrEqual(3);
      expect(paths.every((d) => d.length > 2)).toBe(true);
      await expect(a).toMatchFileSnapshot(`__snapshots__/${c.kind}.svg`);
    });
  }

  it('options are plain JSON (inlined for --interactive) and have animation off', () => {
    for (const c of SAMPLE_CHARTS) {
      const o = chartOption(c, true);
      expect(JSON.parse(JSON.stringify(o))).toEqual(JSON.parse(JSON.stringify(o)));
      expect(JSON.stringify(o)).not.toContain('function');
      expect(o['animation']).toBe(false);
    }
  });

  it('waterfall bars stack from the running total, the last bar is the net', () => {
    const o = chartOption(SAMPLE_CHARTS[3]!) as { series: Array<{ data: Array<number | string> }> };
    expect(o.series[0]!.data).toEqual([0, 380, 380, 0]);
    expect(o.series[1]!.data).toEqual([500, '-', 30, 410]);
    expect(o.series[2]!.data).toEqual(['-', 120, '-', '-']);
  });
});

describe('display helpers', () => {
  it('histogram bins count every finite value once, the max in the last bin', () => {
    const v = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, Number.NaN];
    const b = histogramBins(v, 5);
    expect(b.map((x) => x.count)).toEqual([2, 2, 2, 2, 3]);
    expect(b[0]!.lo).toBe(0);
    expect(b[4]!.hi).toBe(10);
  });

  it('min-max downsampling keeps the extremes and the ends of each series', () => {
    const n = 100_000;
    const s = Array.from({ length: n }, (_, i) => Math.sin(i / 50));
    s[31_337] = -5;
    s[77_777] = 9;
    const idx = minMaxIndices(n, [s], 500);
    expect(idx.length).toBeLessThanOrEqual(1002);
    expect(idx).toContain(0);
    expect(idx).toContain(n - 1);
    expect(idx).toContain(31_337);
    expect(idx).toContain(77_777);
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    expect(minMaxIndices(10, [s], 500)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
