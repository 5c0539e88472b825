/**
 * Markdown renderer: the same sections and tables as the HTML page; each chart is an SVG file
 * written beside the .md (`<stem>-<chart id>.svg`) and linked from it.
 */
import { renderChartSvg } from './charts.js';
import type { Honesty, Report, RunCard, Table } from './schema.js';

const cellMd = (v: unknown): string => {
  if (v === null || v === undefined) return 'n/a';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
};

function tableMd(cols: string[], rows: unknown[][]): string {
  return [`| ${cols.map(cellMd).join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cellMd).join(' | ')} |`)].join('\n');
}

const pct = (v: number | null): string => (v === null || !Number.isFinite(v) ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null, d = 2): string => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));

function honestyMd(h: Honesty): string {
  const s = h.sharpe;
  const head = tableMd(
    ['measure', 'value', 'note'],
    [
      ['Deflated Sharpe', pct(s.dsr), `trials ${s.trials}; E[max SR] ${num(s.expected_max_sharpe)}; variance: ${s.variance_source}`],
      ['PSR', pct(s.psr), 'P(true SR > 0)'],
      ['Sharpe', num(s.sharpe), `${s.observations} observations`],
      ['PBO', h.pbo ? pct(h.pbo.pbo) : 'n/a', h.pbo ? `${h.pbo.blocks ?? '?'} blocks` : 'no optimisation'],
      ['cost break-even multiple', h.cost_stress ? num(h.cost_stress.break_even_cost_multiple) : 'n/a', h.cost_stress ? `round trip ${num(h.cost_stress.round_trip_cost_bps)} bps, break-even ${num(h.cost_stress.break_even_bps)} bps` : ''],
      ['funding share of P&L', pct(h.funding_share), ''],
      ['sealed test segment', h.test_segment.used ? `opened ${h.test_segment.times_opened}x` : 'not used', ''],
    ],
  );
  const warn = tableMd(['fired', 'sign (§10.3)', 'this run'], h.warnings.map((w) => [w.fired === null ? 'n/a' : w.fired ? '**FIRED**' : 'no', w.label, w.detail]));
  const exp = tableMd(['metric (§12.2)', 'this run', 'class', 'unrealistic / suspicious / reasonable'], h.expectations.map((e) => [e.label, e.display, e.class === 'reasonable' ? e.class : `**${e.class}**`, e.bands]));
  return ['## Honesty panel', '', head, '', '### Overfitting warning signs', '', warn, '', '### Realistic expectations', '', exp, '', ...h.notes.map((n) => `> ${n}`), ''].join('\n');
}

function runCardMd(r: RunCard): string {
  return tableMd(
    ['field', 'value'],
    [
      ['run', r.run_id],
      ['command', `\`${r.command}\``],
      ['created', r.created_at],
      ['duration (s)', r.duration_ms === null ? null : r.duration_ms / 1000],
      ['strategy', r.strategy],
      ['strategy hash', r.strategy_hash],
      ['spec hashes', Object.entries(r.spec_hashes).map(([k, v]) => `${k} ${v.slice(0, 12)}`).join(', ')],
      ['config hash', r.config_hash],
      ['split / segment', `${r.split ?? 'n/a'} / ${r.segment ?? 'n/a'}`],
      ['window', r.window ? `${r.window.start} -> ${r.window.end}` : null],
      ['data hashes', Object.entries(r.data_hashes).map(([k, v]) => `${k} ${String(v).slice(0, 12)}`).join(', ')],
      ['code version', r.code_version],
      ['seed', r.seed],
      ['ledger', `${r.ledger.trials} strategy trials, ${r.ledger.evaluations} evaluations, ${r.ledger.research_cells} research cells, test unsealed ${r.ledger.unseals}x`],
    ],
  );
}

export interface MarkdownOut {
  text: string;
  /** SVG files to write beside the .md: name -> content */
  files: Array<{ name: string; content: string }>;
}

export function renderMarkdown(r: Report, stem: string): MarkdownOut {
  const files: MarkdownOut['files'] = [];
  const out: string[] = [`# ${r.title}`, '', `perpkit ${r.perpkit_version}, ${r.schema}, generated ${r.generated_at}`, '', honestyMd(r.honesty), '## Run card', '', runCardMd(r.run_card), ''];
  for (const c of r.compared ?? []) out.push(`### ${c.run_id}`, '', runCardMd(c), '');
  for (const s of r.sections) {
    out.push(`## ${s.title}`, '');
    for (const b of s.blocks) {
      if (b.type === 'text') out.push(b.text, '');
      else if (b.type === 'table') out.push(`### ${b.title}`, '', tableMd((b as Table).columns, (b as Table).rows), ...(b.note ? ['', b.note] : []), '');
      else {
        const name = `${stem}-${b.id}.svg`;
        files.push({ name, content: renderChartSvg(b) });
        out.push(`### ${b.title}`, '', `![${b.title}](${encodeURI(name)})`, '');
      }
    }
  }
  return { text: `${out.join('\n').replace(/\n{3,}/g, '\n\n')}\n`, files };
}
