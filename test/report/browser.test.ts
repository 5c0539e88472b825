/**
 * The reports in a real browser: headless Chromium (Debian's /usr/bin/chromium) through
 * playwright-core. Every request that is not file: or data: is aborted and fails the test; no
 * console errors; every section and the expected number of charts with non-empty SVG paths; a
 * tooltip on hover; a screenshot. In CI (CI set) a missing Chromium fails; locally it is skipped,
 * loudly.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { chromium } from 'playwright-core';
import { backtestReport } from '../../src/services/report/backtest.js';
import { renderHtml, sectionIds } from '../../src/services/report/html.js';
import { buildReport } from '../../src/services/report/index.js';
import { researchReport } from '../../src/services/report/research.js';
import type { Report } from '../../src/services/report/schema.js';
import { tempDir, testContext } from '../helpers.js';
import { syntheticBacktest, syntheticResearch, writeOptimizeRun } from './fixtures.js';

const CHROMIUM = process.env['PERPKIT_CHROMIUM'] ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
const CI = Boolean(process.env['CI']);
const LEDGER = { evaluations: 3, trials: 3, research_cells: 48, unseals: 0, sharpes: [0.5, 1.1, -0.2] };

if (!HAVE && !CI) {
  process.stderr.write(`\n*** SKIPPED: the report browser test needs Chromium at ${CHROMIUM} (apt-get install chromium); in CI it is mandatory ***\n\n`);
}

/** The little of the DOM the page functions use (the project's tsconfig has no DOM lib). */
interface Dom {
  querySelectorAll(q: string): ArrayLike<{ getAttribute(n: string): string | null }>;
}

const charts = (r: Report): number => r.sections.reduce((n, s) => n + s.blocks.filter((b) => b.type === 'chart').length, 0);

describe.runIf(HAVE || CI)('report HTML in headless Chromium', () => {
  let ctx: BrowserContext;
  let profile: string;
  beforeAll(async () => {
    if (!HAVE) throw new Error(`CI: Chromium is required for the report browser test and is missing at ${CHROMIUM} (.ci/run installs it with apt-get)`);
    profile = mkdtempSync(join(tmpdir(), 'perpkit-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1100, height: 900 },
      offline: true,
    });
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function check(r: Report, html: string, hoverChart: string, interactive = false): Promise<void> {
    const dir = tempDir();
    const file = join(dir, `${r.kind}.html`);
    writeFileSync(file, html);
    const page = await ctx.newPage();
    const network: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) await route.continue();
      else {
        network.push(url);
        await route.abort();
      }
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    for (const id of sectionIds(r)) expect(await page.locator(`section[data-section="${id}"]`).count(), `section ${id}`).toBe(1);
    if (!interactive) {
      const paths = await page.$$eval('.chart[data-chart] svg', (svgs) => svgs.map((s) => Array.from((s as unknown as Dom).querySelectorAll('path')).filter((p) => (p.getAttribute('d') ?? '').length > 2).length));
      expect(paths.length).toBe(charts(r));
      expect(paths.every((n) => n > 0)).toBe(true);
      const box = await page.locator(`.chart[data-chart="${hoverChart}"] svg`).boundingBox();
      expect(box).not.toBeNull();
      await page.locator(`.chart[data-chart="${hoverChart}"]`).scrollIntoViewIfNeeded();
      const b2 = (await page.locator(`.chart[data-chart="${hoverChart}"] svg`).boundingBox())!;
      await page.mouse.move(b2.x + b2.width * 0.5, b2.y + b2.height * 0.5);
      const tip = page.locator('.tip');
      await expect.poll(async () => (await tip.isVisible()) && ((await tip.textContent()) ?? '').length > 0, { timeout: 10_000 }).toBe(true);
    } else {
      await expect.poll(async () => page.$$eval('.chart[data-interactive]', (els) => els.filter((e) => (e as unknown as Dom).querySelectorAll('canvas').length > 0).length), { timeout: 20_000 }).toBe(charts(r));
    }
    const shot = join(dir, `${r.kind}.png`);
    await page.screenshot({ path: shot, fullPage: false });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    await page.close();
    expect(network, 'network requests').toEqual([]);
    expect(errors, 'console errors').toEqual([]);
  }

  it('backtest: every section, 10 charts, tooltip, offline', async () => {
    const r = backtestReport(syntheticBacktest(), LEDGER, '2026-01-01T00:00:00.000Z', 'test');
    await check(r, renderHtml(r), 'equity');
  }, 120_000);

  it('the check itself fails on a page that reaches for the network', async () => {
    const r = researchReport(syntheticResearch(), LEDGER, '2026-01-01T00:00:00.000Z', 'test');
    const html = renderHtml(r).replace('</main>', '<img src="http://203.0.113.7/pixel.png" alt=""></main>');
    await expect(check(r, html, 'ic-perp_spot')).rejects.toThrow(/network requests/);
  }, 120_000);

  it('backtest --interactive: the ECharts bundle draws every chart, offline', async () => {
    const r = backtestReport(syntheticBacktest(24 * 30), LEDGER, '2026-01-01T00:00:00.000Z', 'test');
    await check(r, renderHtml(r, { interactive: true }), 'equity', true);
  }, 120_000);

  it('research: every section and chart, tooltip on the IC bars', async () => {
    const r = researchReport(syntheticResearch(), LEDGER, '2026-01-01T00:00:00.000Z', 'test');
    await check(r, renderHtml(r), 'ic-perp_spot');
  }, 120_000);

  it('optimisation (contract fixture): every section and chart, tooltip on the grid heatmap', async () => {
    const dctx = await testContext();
    const root = tempDir();
    await writeOptimizeRun(dctx, root, '20260105T000000Z-0ptim1ze');
    const r = await buildReport({ root, optimize: '20260105T000000Z-0ptim1ze' }, dctx);
    await check(r, renderHtml(r), 'param-heatmap');
  }, 120_000);
});
