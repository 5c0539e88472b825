import { z } from 'zod';

/**
 * The report document (`perpkit report --format json`, schema `perpkit.report/1`): every number on
 * the page, in the order the page shows it. HTML and Markdown are rendered from this document
 * only, so what the JSON says is what the page says. Chart series are the DISPLAY series (long
 * series are downsampled for display, `downsampled_from` says from how many points); every
 * metric in the tables and the honesty panel is computed on the full data.
 */
export const REPORT_SCHEMA = 'perpkit.report/1';

const num = z.number().nullable();
const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const TableSchema = z.object({
  type: z.literal('table'),
  id: z.string(),
  title: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.array(cell)),
  note: z.string().optional(),
});

const SeriesSchema = z.object({ name: z.string(), values: z.array(num), area: z.boolean().optional(), dashed: z.boolean().optional() });

/** Time or category series; `state` charts carry state indices as values and `states` as their names. */
export const LineDataSchema = z.object({
  x_type: z.enum(['time', 'category']),
  /** epoch milliseconds (time) or labels (category) */
  x: z.array(z.union([z.number(), z.string()])),
  series: z.array(SeriesSchema),
  y_unit: z.string(),
  downsampled_from: z.number().int().nullable(),
});
export const BarDataSchema = z.object({
  categories: z.array(z.string()),
  series: z.array(SeriesSchema),
  /** confidence interval of the first series per category */
  errors: z.array(z.object({ lo: num, hi: num })).nullable(),
  y_unit: z.string(),
});
export const HeatmapDataSchema = z.object({
  x: z.array(z.string()),
  y: z.array(z.string()),
  /** [x index, y index, value] */
  cells: z.array(z.tuple([z.number().int(), z.number().int(), num])),
  unit: z.string(),
});
export const WaterfallDataSchema = z.object({ steps: z.array(z.object({ label: z.string(), value: z.number() })), total_label: z.string(), unit: z.string() });
export const HistogramDataSchema = z.object({ bins: z.array(z.object({ lo: z.number(), hi: z.number(), count: z.number().int() })), x_unit: z.string() });
export const StateDataSchema = z.object({ x: z.array(z.number()), states: z.array(z.string()), values: z.array(z.number().int()), downsampled_from: z.number().int().nullable() });

export const CHART_KINDS = ['line', 'bar', 'heatmap', 'waterfall', 'histogram', 'state'] as const;

export const ChartSchema = z.discriminatedUnion('kind', [
  z.object({ type: z.literal('chart'), id: z.string(), title: z.string(), kind: z.literal('line'), data: LineDataSchema }),
  z.object({ type: z.literal('chart'), id: z.string(), title: z.string(), kind: z.literal('bar'), data: BarDataSchema }),
  z.object({ type: z.literal('chart'), id: z.string(), title: z.string(), kind: z.literal('heatmap'), data: HeatmapDataSchema }),
  z.object({ type: z.literal('chart'), id: z.string(), title: z.string(), kind: z.literal('waterfall'), data: WaterfallDataSchema }),
  z.object({ type: z.literal('chart'), id: z.string(), title: z.string(), kind: z.literal('histogram'), data: HistogramDataSchema }),
  z.object({ type: z.literal('chart'), id: z.string(), title: z.string(), kind: z.literal('state'), data: StateDataSchema }),
]);

export const TextSchema = z.object({ type: z.literal('text'), text: z.string() });

export const BlockSchema = z.union([TableSchema, ChartSchema, TextSchema]);

export const SectionSchema = z.object({ id: z.string(), title: z.string(), blocks: z.array(BlockSchema) });

export const EXPECTATION_CLASSES = ['unrealistic', 'suspicious', 'reasonable', 'outside'] as const;

export const HonestySchema = z.object({
  sharpe: z.object({
    /** annualised Sharpe of the run (24/7 calendar) */
    sharpe: num,
    observations: z.number().int(),
    periods_per_year: num,
    psr: num,
    dsr: num,
    /** the ledger's trial count the DSR deflates by */
    trials: z.number().int(),
    /** variance of the trials' annualised Sharpe ratios used for E[max SR]; and where it came from */
    trials_sharpe_variance: num,
    variance_source: z.string(),
    /** E[max SR] of `trials` unskilled trials, annualised */
    expected_max_sharpe: num,
  }),
  pbo: z.object({ pbo: num, blocks: z.number().int().nullable() }).nullable(),
  warnings: z.array(z.object({ sign: z.string(), label: z.string(), fired: z.boolean().nullable(), value: num, detail: z.string() })),
  expectations: z.array(z.object({ metric: z.string(), label: z.string(), value: num, display: z.string(), class: z.enum(EXPECTATION_CLASSES), bands: z.string() })),
  cost_stress: z
    .object({ break_even_cost_multiple: num, gross_edge_bps: num, round_trip_cost_bps: num, break_even_bps: num, source: z.string() })
    .nullable(),
  funding_share: num,
  test_segment: z.object({ used: z.boolean(), times_opened: z.number().int() }),
  notes: z.array(z.string()),
});

export const RunCardSchema = z.object({
  run_id: z.string(),
  kind: z.enum(['backtest', 'research', 'optimize', 'compare']),
  command: z.string(),
  created_at: z.string().nullable(),
  duration_ms: num,
  strategy: z.string().nullable(),
  strategy_hash: z.string().nullable(),
  spec_hashes: z.record(z.string(), z.string()),
  config_hash: z.string().nullable(),
  config: z.unknown(),
  split: z.string().nullable(),
  segment: z.string().nullable(),
  window: z.object({ start: z.string(), end: z.string() }).nullable(),
  data_hashes: z.record(z.string(), z.string()),
  code_version: z.string().nullable(),
  seed: z.number().nullable(),
  ledger: z.object({ trials: z.number().int(), evaluations: z.number().int(), research_cells: z.number().int(), unseals: z.number().int() }),
});

export const ReportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
  kind: z.enum(['backtest', 'research', 'optimize', 'compare']),
  title: z.string(),
  generated_at: z.string(),
  perpkit_version: z.string(),
  run_card: RunCardSchema,
  honesty: HonestySchema,
  sections: z.array(SectionSchema),
  /** the run's own numbers, unformatted (backtest: metrics.json's metrics; optimisation: oos; research: cell counts) */
  metrics: z.record(z.string(), z.unknown()),
  /** --compare: the run cards of the other runs */
  compared: z.array(RunCardSchema).optional(),
});

export type Report = z.infer<typeof ReportSchema>;
export type Section = z.infer<typeof SectionSchema>;
export type Block = z.infer<typeof BlockSchema>;
export type Chart = z.infer<typeof ChartSchema>;
export type Table = z.infer<typeof TableSchema>;
export type Honesty = z.infer<typeof HonestySchema>;
export type RunCard = z.infer<typeof RunCardSchema>;
export type ChartKind = (typeof CHART_KINDS)[number];
export type LineData = z.infer<typeof LineDataSchema>;
