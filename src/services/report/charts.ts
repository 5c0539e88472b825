/**
 * Chart builders: a report chart (schema.ts) -> an Apache ECharts option -> SVG rendered in Node by
 * ECharts' server-side renderer (`renderToSVGString`). Animation is off and the renderer's instance
 * ids are renamed after the chart id, so the same chart gives the same bytes every time (snapshot
 * tests in test/report/charts.test.ts). Options hold no functions, so the same option object can
 * be inlined for the browser (--interactive) as JSON.
 */
import * as echarts from 'echarts';
import type { Chart } from './schema.js';

export const CHART_WIDTH = 880;
export const CHART_HEIGHT = 280;
/** Plot area inside the SVG; the page's tooltip script maps the mouse through it. */
export const GRID = { left: 72, right: 28, top: 40, bottom: 44 } as const;
export const PALETTE = ['#2f6fde', '#e07b39', '#2a9d8f', '#b23a48', '#7b5ea7', '#8a8f98', '#c9a227'];
const TEXT = '#3b4250';
const AXIS = { axisLine: { lineStyle: { color: '#9aa1ad' } }, axisLabel: { color: TEXT, fontSize: 11 }, splitLine: { lineStyle: { color: '#e6e8ec' } } };

export function chartHeight(c: Chart): number {
  if (c.kind === 'heatmap') return Math.max(200, Math.min(560, 80 + 26 * c.data.y.length));
  if (c.kind === 'state') return 200;
  return CHART_HEIGHT;
}

/** Time axis labels by level (ECharts templates; strings keep the option JSON). */
const TIME_LABELS = { year: '{yyyy}', month: '{MMM} {yyyy}', day: '{d} {MMM}', hour: '{HH}:{mm}', minute: '{HH}:{mm}' };
const TIME_AXIS = { ...AXIS, axisLabel: { ...AXIS.axisLabel, formatter: TIME_LABELS, hideOverlap: true }, splitLine: { show: false } };

const unitLabel = (u: string): string => (u === '%' ? '{value}%' : u ? `{value} ${u}` : '{value}');

type Option = Record<string, unknown>;

/** The ECharts option of a chart (JSON-serialisable). `interactive` adds zoom and pan. */
export function chartOption(c: Chart, interactive = false): Option {
  const base: Option = {
    animation: false,
    color: PALETTE,
    textStyle: { fontFamily: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif' },
    grid: { ...GRID },
  };
  if (interactive) base['tooltip'] = { trigger: c.kind === 'heatmap' ? 'item' : 'axis', confine: true };
  switch (c.kind) {
    case 'line': {
      const d = c.data;
      const many = d.series.length > 1;
      const xs = d.x as Array<number | string>;
      const series = d.series.map((s, k) => ({
        type: 'line',
        name: s.name,
        showSymbol: false,
        symbol: 'none',
        sampling: undefined,
        lineStyle: { width: 1.5, ...(s.dashed ? { type: 'dashed' } : {}) },
        ...(s.area ? { areaStyle: { opacity: 0.25 } } : {}),
        data: d.x_type === 'time' ? s.values.map((v, i) => [xs[i], v]) : s.values,
        z: 2 + k,
      }));
      const nums = d.x_type === 'time' ? (xs as number[]) : [];
      return {
        ...base,
        legend: many ? { top: 6, textStyle: { color: TEXT, fontSize: 11 } } : undefined,
        xAxis:
          d.x_type === 'time'
            ? { type: 'time', min: nums.length ? nums[0] : undefined, max: nums.length ? nums[nums.length - 1] : undefined, ...TIME_AXIS }
            : { type: 'category', data: xs.map(String), ...AXIS },
        yAxis: { type: 'value', scale: true, ...AXIS, axisLabel: { ...AXIS.axisLabel, formatter: unitLabel(d.y_unit) } },
        series,
        ...(interactive ? { dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 4 }] } : {}),
      };
    }
    case 'state': {
      const d = c.data;
      return {
        ...base,
        grid: { ...GRID, left: 110 },
        xAxis: { type: 'time', min: d.x[0], max: d.x[d.x.length - 1], ...TIME_AXIS },
        yAxis: { type: 'category', data: d.states, ...AXIS },
        series: [{ type: 'line', name: 'state', step: 'end', showSymbol: false, symbol: 'none', lineStyle: { width: 2 }, data: d.values.map((v, i) => [d.x[i], d.states[v]]) }],
        ...(interactive ? { dataZoom: [{ type: 'inside' }] } : {}),
      };
    }
    case 'bar': {
      const d = c.data;
      const series: Option[] = d.series.map((s) => ({ type: 'bar', name: s.name, data: s.values, barMaxWidth: 28 }));
      if (d.errors) {
        series.push({
          type: 'candlestick',
          name: 'confidence interval',
          barWidth: 6,
          itemStyle: { color: '#3b4250', color0: '#3b4250', borderColor: '#3b4250', borderColor0: '#3b4250' },
          data: d.errors.map((e) => (e.lo === null || e.hi === null ? '-' : [e.lo, e.hi, e.lo, e.hi])),
          z: 5,
        });
      }
      return {
        ...base,
        legend: d.series.length > 1 || d.errors ? { top: 6, textStyle: { color: TEXT, fontSize: 11 } } : undefined,
        xAxis: { type: 'category', data: d.categories, ...AXIS, axisLabel: { ...AXIS.axisLabel, interval: 0, rotate: d.categories.length > 8 ? 30 : 0 } },
        yAxis: { type: 'value', ...AXIS, axisLabel: { ...AXIS.axisLabel, formatter: unitLabel(d.y_unit) } },
        series,
      };
    }
    case 'heatmap': {
      const d = c.data;
      const vals = d.cells.map((x) => x[2]).filter((v): v is number => v !== null && Number.isFinite(v));
      const m = Math.max(1e-12, ...vals.map(Math.abs));
      const labels = d.x.length * d.y.length <= 200;
      return {
        ...base,
        grid: { ...GRID, left: Math.min(240, Math.max(60, 14 + 6.2 * Math.max(0, ...d.y.map((y) => y.length)))), bottom: 56 },
        xAxis: { type: 'category', data: d.x, ...AXIS, splitArea: { show: true }, axisLabel: { ...AXIS.axisLabel, interval: 0, rotate: d.x.length > 8 ? 30 : 0 } },
        yAxis: { type: 'category', data: d.y, ...AXIS, splitArea: { show: true } },
        visualMap: { min: -m, max: m, show: false, inRange: { color: ['#b23a48', '#f3f4f6', '#2a9d8f'] } },
        series: [
          {
            type: 'heatmap',
            name: c.title,
            data: d.cells.map(([x, y, v]) => [x, y, v === null ? '-' : v]),
            label: { show: labels, fontSize: 10, color: TEXT },
            itemStyle: { borderColor: '#ffffff', borderWidth: 1 },
          },
        ],
      };
    }
    case 'waterfall': {
      const d = c.data;
      let cum = 0;
      const base_: Array<number> = [];
      const up: Array<number | string> = [];
      const down: Array<number | string> = [];
      for (const s of d.steps) {
        const next = cum + s.value;
        base_.push(Math.min(cum, next));
        up.push(s.value >= 0 ? s.value : '-');
        down.push(s.value < 0 ? -s.value : '-');
        cum = next;
      }
      base_.push(Math.min(0, cum));
      up.push(cum >= 0 ? cum : '-');
      down.push(cum < 0 ? -cum : '-');
      return {
        ...base,
        legend: { top: 6, data: ['adds', 'costs'], textStyle: { color: TEXT, fontSize: 11 } },
        xAxis: { type: 'category', data: [...d.steps.map((s) => s.label), d.total_label], ...AXIS, axisLabel: { ...AXIS.axisLabel, interval: 0 } },
        yAxis: { type: 'value', ...AXIS, axisLabel: { ...AXIS.axisLabel, formatter: unitLabel(d.unit) } },
        series: [
          { type: 'bar', name: 'base', stack: 'w', silent: true, itemStyle: { color: 'transparent', borderColor: 'transparent' }, data: base_ },
          { type: 'bar', name: 'adds', stack: 'w', itemStyle: { color: '#2a9d8f' }, data: up, barMaxWidth: 48 },
          { type: 'bar', name: 'costs', stack: 'w', itemStyle: { color: '#b23a48' }, data: down, barMaxWidth: 48 },
        ],
      };
    }
    case 'histogram': {
      const d = c.data;
      return {
        ...base,
        xAxis: { type: 'category', data: d.bins.map((b) => fmtEdge((b.lo + b.hi) / 2)), name: d.x_unit, nameLocation: 'middle', nameGap: 28, ...AXIS },
        yAxis: { type: 'value', name: 'count', ...AXIS },
        series: [{ type: 'bar', name: 'count', data: d.bins.map((b) => b.count), barCategoryGap: '4%' }],
      };
    }
  }
}

function fmtEdge(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/** Renders the chart to an SVG string with stable ids (`zr-<chart id>-...`). */
export function renderChartSvg(c: Chart, width = CHART_WIDTH, height = chartHeight(c)): string {
  const inst = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    inst.setOption(chartOption(c, false));
    const svg = inst.renderToSVGString();
    const safe = c.id.replace(/[^A-Za-z0-9_-]/g, '-');
    // zrender numbers instances and CSS classes process-wide: renumber by first appearance
    const seen = new Map<string, string>();
    const perKind = new Map<string, number>();
    return svg.replace(/\bzr\d+-([a-z]+)-(\d+)/g, (m, kind: string) => {
      let v = seen.get(m);
      if (v === undefined) {
        const k = perKind.get(kind) ?? 0;
        perKind.set(kind, k + 1);
        seen.set(m, (v = `zr-${safe}-${kind}-${k}`));
      }
      return v;
    }).replace(/\bzr\d+-/g, `zr-${safe}-`);
  } finally {
    inst.dispose();
  }
}

/** Equal-width histogram bins over the finite values (display). */
export function histogramBins(values: number[], bins = 30): Array<{ lo: number; hi: number; count: number }> {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (lo === hi) return [{ lo, hi, count: v.length }];
  const n = Math.max(1, Math.min(bins, v.length));
  const w = (hi - lo) / n;
  const counts = new Array<number>(n).fill(0);
  for (const x of v) counts[Math.min(n - 1, Math.floor((x - lo) / w))]! += 1;
  return counts.map((count, i) => ({ lo: lo + i * w, hi: i === n - 1 ? hi : lo + (i + 1) * w, count }));
}
