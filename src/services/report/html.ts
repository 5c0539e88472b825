/**
 * HTML renderer: one self-contained file. CSS inline, system fonts, charts as inline SVG rendered in
 * Node, the ECharts SSR client (echarts/ssr/client, inlined) plus a small script for tooltips.
 * No URL to anything outside the file. --interactive also inlines the full ECharts bundle and each
 * chart's option (zoom, pan, legend toggles), replacing the static SVG on load.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chartHeight, chartOption, CHART_WIDTH, GRID, renderChartSvg } from './charts.js';
import type { Block, Chart, Honesty, Report, RunCard, Section } from './schema.js';

const require_ = createRequire(import.meta.url);

function echartsFile(rel: string): string {
  const pkg = require_.resolve('echarts/package.json');
  return readFileSync(join(dirname(pkg), rel), 'utf8');
}

export const esc = (s: unknown): string =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');
const scriptText = (s: string): string => s.replace(/<\/script/gi, '<\\/script');

const CSS = `
:root{--ink:#1f2430;--muted:#5d6574;--line:#e3e6eb;--bg:#f7f8fa;--card:#fff;--bad:#b23a48;--warn:#c98a1a;--ok:#2a9d8f;--na:#8a8f98}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#1f2430;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px;font-weight:600}header .sub{color:#c5cad3;font-size:12px;margin-top:4px}
nav{background:#fff;border-bottom:1px solid var(--line);padding:8px 28px;font-size:13px;position:sticky;top:0;z-index:5}nav a{color:#2f6fde;text-decoration:none;margin-right:14px}
main{max-width:960px;margin:0 auto;padding:16px 20px 60px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:16px 0}
section h2{font-size:16px;margin:0 0 10px}h3{font-size:13px;margin:14px 0 6px;color:var(--muted);font-weight:600}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin:6px 0}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}th{background:#f1f3f6;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:10px;margin-bottom:10px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 10px}.card .k{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}.card .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}.card .d{font-size:11px;color:var(--muted)}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:11px;font-weight:600;color:#fff}
.unrealistic,.fired{background:var(--bad)}.suspicious{background:var(--warn)}.reasonable,.quiet{background:var(--ok)}.outside,.na{background:var(--na)}
.honesty{border:2px solid #1f2430}
.chart{position:relative;margin:6px 0 12px}.chart svg{width:100%;height:auto;display:block}
.tip{position:fixed;display:none;pointer-events:none;background:rgba(31,36,48,.94);color:#fff;font-size:12px;padding:6px 8px;border-radius:4px;z-index:10;white-space:nowrap}
.note{color:var(--muted);font-size:12px}dl.kv{display:grid;grid-template-columns:170px 1fr;gap:3px 12px;font-size:12.5px;margin:0}dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;word-break:break-all}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f1f3f6;padding:1px 4px;border-radius:3px}
footer{color:var(--muted);font-size:11px;text-align:center;margin-top:30px}
`;

/** The tooltip script: maps the mouse through each chart's plot area to the nearest data point. */
const TOOLTIP_JS = `
(function(){
var D=JSON.parse(document.getElementById('chart-data').textContent);
var tip=document.createElement('div');tip.className='tip';tip.setAttribute('role','tooltip');document.body.appendChild(tip);
function f(v){if(v===null||v===undefined||v==='-')return 'n/a';if(typeof v!=='number')return String(v);var a=Math.abs(v);return a>=1000?v.toFixed(0):a>=1?v.toFixed(3):v.toPrecision(3);}
function t(ms){return new Date(ms).toISOString().slice(0,16).replace('T',' ');}
function near(xs,x){var lo=0,hi=xs.length-1;while(hi-lo>1){var m=(lo+hi)>>1;if(xs[m]<=x)lo=m;else hi=m;}return Math.abs(xs[hi]-x)<Math.abs(xs[lo]-x)?hi:lo;}
function describe(c,sx,sy,W,H,item){var g=c.g,L=g[0],R=g[1],T=g[2],B=g[3],pw=W-L-R,ph=H-T-B;if(sx<L||sx>W-R||sy<T||sy>H-B)return null;var fx=(sx-L)/pw,d=c.d,i,s,out;
if(c.k==='line'||c.k==='state'){var xs=d.x;if(!xs.length)return null;if(c.k==='line'&&d.x_type==='category'){i=Math.min(xs.length-1,Math.floor(fx*xs.length));out='<b>'+xs[i]+'</b>';}else{i=near(xs,xs[0]+fx*(xs[xs.length-1]-xs[0]));out='<b>'+t(xs[i])+'</b>';}
if(c.k==='state'){i=0;var tx=xs[0]+fx*(xs[xs.length-1]-xs[0]);while(i+1<xs.length&&xs[i+1]<=tx)i++;return out+'<br>state: '+d.states[d.values[i]];}
for(s=0;s<d.series.length;s++)out+='<br>'+d.series[s].name+': '+f(d.series[s].values[i])+(d.y_unit==='%'?'%':'');return out;}
if(c.k==='heatmap'){var xi=Math.floor(fx*d.x.length),yi=Math.floor((H-B-sy)/ph*d.y.length);for(s=0;s<d.cells.length;s++){var q=d.cells[s];if(q[0]===xi&&q[1]===yi)return '<b>'+d.y[yi]+' '+d.x[xi]+'</b><br>'+f(q[2])+(d.unit==='%'?'%':'');}return null;}
if(c.k==='bar'){i=item!==null&&item<d.categories.length?item:Math.min(d.categories.length-1,Math.floor(fx*d.categories.length));out='<b>'+d.categories[i]+'</b>';for(s=0;s<d.series.length;s++)out+='<br>'+d.series[s].name+': '+f(d.series[s].values[i])+(d.y_unit==='%'?'%':'');if(d.errors&&d.errors[i])out+='<br>interval: '+f(d.errors[i].lo)+' .. '+f(d.errors[i].hi);return out;}
if(c.k==='waterfall'){var n=d.steps.length+1;i=Math.min(n-1,Math.floor(fx*n));if(i===d.steps.length){var tot=0;for(s=0;s<d.steps.length;s++)tot+=d.steps[s].value;return '<b>'+d.total_label+'</b><br>'+f(tot);}return '<b>'+d.steps[i].label+'</b><br>'+f(d.steps[i].value);}
if(c.k==='histogram'){if(!d.bins.length)return null;i=Math.min(d.bins.length-1,Math.floor(fx*d.bins.length));var b=d.bins[i];return '<b>'+f(b.lo)+' .. '+f(b.hi)+' '+d.x_unit+'</b><br>count: '+b.count;}
return null;}
var els=document.querySelectorAll('.chart[data-chart]');
Array.prototype.forEach.call(els,function(el){var c=D[el.getAttribute('data-chart')];if(!c)return;var item=null;
var ssr=window['echarts-ssr-client'];if(ssr&&ssr.hydrate)ssr.hydrate(el,{on:{mousemove:function(p){item=typeof p.dataIndex==='number'?p.dataIndex:null;}}});
el.addEventListener('mousemove',function(ev){var svg=el.querySelector('svg');if(!svg)return;var r=svg.getBoundingClientRect(),vb=svg.viewBox.baseVal,W=vb&&vb.width?vb.width:r.width,H=vb&&vb.height?vb.height:r.height;
var h=describe(c,(ev.clientX-r.left)*W/r.width,(ev.clientY-r.top)*H/r.height,W,H,item);item=null;if(!h){tip.style.display='none';return;}tip.innerHTML=h;tip.style.display='block';
var x=ev.clientX+14,y=ev.clientY+14;if(x+tip.offsetWidth>window.innerWidth-4)x=ev.clientX-tip.offsetWidth-14;if(y+tip.offsetHeight>window.innerHeight-4)y=ev.clientY-tip.offsetHeight-14;tip.style.left=x+'px';tip.style.top=y+'px';});
el.addEventListener('mouseleave',function(){tip.style.display='none';});});
})();
`;

const INTERACTIVE_JS = `
(function(){if(!window.echarts)return;var O=JSON.parse(document.getElementById('chart-options').textContent);
Array.prototype.forEach.call(document.querySelectorAll('.chart[data-chart]'),function(el){var o=O[el.getAttribute('data-chart')];if(!o)return;var h=el.querySelector('svg').getBoundingClientRect().height||280;
el.innerHTML='';el.style.height=h+'px';var c=window.echarts.init(el,null,{renderer:'canvas'});c.setOption(o);window.addEventListener('resize',function(){c.resize();});el.removeAttribute('data-chart');el.setAttribute('data-interactive','1');});})();
`;

function cellHtml(v: unknown): string {
  if (typeof v === 'number') return `<td class="n">${esc(Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6))))}</td>`;
  if (typeof v === 'boolean') return `<td>${v ? 'yes' : 'no'}</td>`;
  if (v === null) return '<td class="n">n/a</td>';
  if (typeof v === 'string' && /^[-+]?[\d.,]+(%| bps|x)?$/.test(v)) return `<td class="n">${esc(v)}</td>`;
  return `<td>${esc(v)}</td>`;
}

function blockHtml(b: Block, charts: Map<string, Chart>): string {
  if (b.type === 'text') return `<p class="note">${esc(b.text)}</p>`;
  if (b.type === 'table') {
    const head = `<tr>${b.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
    const body = b.rows.map((r) => `<tr>${r.map(cellHtml).join('')}</tr>`).join('\n');
    return `<h3>${esc(b.title)}</h3><table data-table="${esc(b.id)}">${head}\n${body}</table>${b.note ? `<p class="note">${esc(b.note)}</p>` : ''}`;
  }
  charts.set(b.id, b);
  const ds = 'downsampled_from' in b.data && b.data.downsampled_from ? ` <span class="note">(display: ${countOf(b)} of ${b.data.downsampled_from} points)</span>` : '';
  return `<h3>${esc(b.title)}${ds}</h3><div class="chart" data-chart="${esc(b.id)}" data-kind="${b.kind}">${renderChartSvg(b)}</div>`;
}

function countOf(c: Chart): number {
  return c.kind === 'line' || c.kind === 'state' ? c.data.x.length : 0;
}

const cls = (fired: boolean | null): string => (fired === null ? 'na' : fired ? 'fired' : 'quiet');
const pct = (v: number | null, d = 1): string => (v === null || !Number.isFinite(v) ? 'n/a' : `${(v * 100).toFixed(d)}%`);
const num = (v: number | null, d = 2): string => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));

export function honestyHtml(h: Honesty): string {
  const s = h.sharpe;
  const cards = [
    ['Deflated Sharpe', pct(s.dsr), `P(true SR > E[max] of ${s.trials} trials)`],
    ['PSR', pct(s.psr), 'P(true SR > 0)'],
    ['Sharpe', num(s.sharpe), `${s.observations} obs; E[max SR] ${num(s.expected_max_sharpe)}`],
    ['Trials (ledger)', String(s.trials), `variance: ${s.variance_source}`],
    ['PBO', h.pbo ? pct(h.pbo.pbo) : 'n/a', h.pbo ? `CSCV, ${h.pbo.blocks ?? '?'} blocks` : 'no optimisation'],
    ['Cost break-even', h.cost_stress ? `${num(h.cost_stress.break_even_cost_multiple)}x` : 'n/a', h.cost_stress ? `round trip ${num(h.cost_stress.round_trip_cost_bps)} bps; break-even ${num(h.cost_stress.break_even_bps)} bps` : ''],
    ['Funding share of P&L', pct(h.funding_share), ''],
    ['Sealed test segment', h.test_segment.used ? `opened ${h.test_segment.times_opened}x` : 'not used', h.test_segment.used && h.test_segment.times_opened > 1 ? 'REPEATED LOOK' : ''],
  ];
  const fired = h.warnings.filter((w) => w.fired === true).length;
  const warn = h.warnings.map((w) => `<tr><td><span class="badge ${cls(w.fired)}">${w.fired === null ? 'n/a' : w.fired ? 'FIRED' : 'no'}</span></td><td>${esc(w.label)}</td><td>${esc(w.detail)}</td></tr>`).join('\n');
  const exp = h.expectations.map((e) => `<tr><td>${esc(e.label)}</td><td class="n">${esc(e.display)}</td><td><span class="badge ${e.class}">${e.class}</span></td><td class="note">${esc(e.bands)}</td></tr>`).join('\n');
  return `<section id="honesty" data-section="honesty" class="honesty"><h2>Honesty panel</h2>
<div class="cards">${cards.map(([k, v, d]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div><div class="d">${esc(d)}</div></div>`).join('')}</div>
<h3>Overfitting warning signs (seed §10.3): ${fired} fired</h3><table data-table="warnings"><tr><th></th><th>sign</th><th>this run</th></tr>
${warn}</table>
<h3>Realistic expectations (seed §12.2)</h3><table data-table="expectations"><tr><th>metric</th><th>this run</th><th>class</th><th>unrealistic | suspicious | reasonable</th></tr>
${exp}</table>
${h.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}</section>`;
}

export function runCardHtml(r: RunCard, title = 'Run card'): string {
  const kv: Array<[string, string]> = [
    ['run', r.run_id],
    ['kind', r.kind],
    ['command', r.command],
    ['created', r.created_at ?? 'n/a'],
    ['duration', r.duration_ms === null ? 'n/a' : `${(r.duration_ms / 1000).toFixed(2)} s`],
    ['strategy', r.strategy ?? 'n/a'],
    ['strategy hash', r.strategy_hash ?? 'n/a'],
    ['spec hashes', Object.entries(r.spec_hashes).map(([k, v]) => `${k} ${v.slice(0, 12)}`).join(', ') || 'n/a'],
    ['config hash', r.config_hash ?? 'n/a'],
    ['split / segment', `${r.split ?? 'n/a'} / ${r.segment ?? 'n/a'}`],
    ['window', r.window ? `${r.window.start} -> ${r.window.end}` : 'n/a'],
    ['data hashes', Object.entries(r.data_hashes).map(([k, v]) => `${k} ${String(v).slice(0, 12)}`).join(', ') || 'n/a'],
    ['code version', r.code_version ?? 'n/a'],
    ['seed', r.seed === null ? 'n/a' : String(r.seed)],
    ['ledger', `${r.ledger.trials} strategy trial(s), ${r.ledger.evaluations} evaluation(s), ${r.ledger.research_cells} research cell(s) tested, test segment unsealed ${r.ledger.unseals}x`],
  ];
  return `<h3>${esc(title)}</h3><dl class="kv">${kv.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${k === 'command' ? `<code>${esc(v)}</code>` : esc(v)}</dd>`).join('')}</dl>
<details><summary class="note">config</summary><pre><code>${esc(JSON.stringify(r.config, null, 2))}</code></pre></details>`;
}

function sectionHtml(s: Section, charts: Map<string, Chart>): string {
  return `<section id="${esc(s.id)}" data-section="${esc(s.id)}"><h2>${esc(s.title)}</h2>\n${s.blocks.map((b) => blockHtml(b, charts)).join('\n')}</section>`;
}

export interface HtmlOptions {
  interactive?: boolean;
}

/** Section ids of the page in order (honesty and run card first): what the browser test expects. */
export function sectionIds(r: Report): string[] {
  return ['honesty', 'run-card', ...r.sections.map((s) => s.id)];
}

export function renderHtml(r: Report, o: HtmlOptions = {}): string {
  const charts = new Map<string, Chart>();
  const body = r.sections.map((s) => sectionHtml(s, charts)).join('\n');
  const cards = [runCardHtml(r.run_card, r.compared?.length ? `Run card: ${r.run_card.run_id}` : 'Run card'), ...(r.compared ?? []).map((c) => runCardHtml(c, `Run card: ${c.run_id}`))].join('\n');
  const data: Record<string, unknown> = {};
  for (const [id, c] of charts) {
    const g = (chartOption(c).grid ?? GRID) as { left: number; right: number; top: number; bottom: number };
    data[id] = { k: c.kind, d: c.data, g: [g.left, g.right, g.top, g.bottom], w: CHART_WIDTH, h: chartHeight(c) };
  }
  const nav = sectionIds(r)
    .map((id) => `<a href="#${esc(id)}">${esc(id === 'honesty' ? 'honesty' : id === 'run-card' ? 'run card' : (r.sections.find((s) => s.id === id)?.title ?? id))}</a>`)
    .join('');
  const interactive = o.interactive
    ? `<script id="chart-options" type="application/json">${scriptJson(Object.fromEntries([...charts].map(([id, c]) => [id, chartOption(c, true)])))}</script>
<script>${scriptText(echartsFile('dist/echarts.min.js'))}</script>
<script>${INTERACTIVE_JS}</script>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="perpkit ${esc(r.perpkit_version)}"><meta name="report-schema" content="${esc(r.schema)}">
<title>${esc(r.title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(r.title)}</h1><div class="sub">perpkit ${esc(r.perpkit_version)} report (${esc(r.schema)}), generated ${esc(r.generated_at)}</div></header>
<nav>${nav}</nav>
<main>
${honestyHtml(r.honesty)}
<section id="run-card" data-section="run-card"><h2>Run card</h2>${cards}</section>
${body}
<footer>Self-contained: no network requests. Charts: Apache ECharts, rendered to SVG on the server${o.interactive ? '; interactive mode inlines the ECharts bundle' : ''}. Numbers are computed on the full data; long series are downsampled for display only.</footer>
</main>
<script id="chart-data" type="application/json">${scriptJson(data)}</script>
<script>${scriptText(echartsFile('ssr/client/dist/index.js'))}</script>
<script>${TOOLTIP_JS}</script>
${interactive}
</body></html>
`;
}
