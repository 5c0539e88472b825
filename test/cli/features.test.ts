import { describe, expect, it } from 'vitest';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURES, FEATURE_FAMILIES } from '../../src/domain/features.js';
import { ROOT, runCli, tempDir } from '../helpers.js';

describe('perpkit features (CLI)', () => {
  it('--list --json prints the whole catalog with family, input, lookback, unit, meaning and hypothesis', async () => {
    const r = (await runCli(['features', '--list', '--json']));
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { features: Array<Record<string, unknown>> };
    expect(doc.features.map((x) => x['name'])).toEqual(FEATURES.map((x) => x.name));
    expect(new Set(doc.features.map((x) => x['family']))).toEqual(new Set(FEATURE_FAMILIES));
    for (const x of doc.features) for (const k of ['family', 'input', 'lookback', 'unit', 'meaning', 'hypothesis']) expect(x[k], `${x['name']}.${k}`).not.toBe('');
  });

  it('computes features and labels on the sample, reports stale inputs; bad input is refused', async () => {
    const dir = tempDir();
    cpSync(join(ROOT, 'data', 'sample'), dir, { recursive: true });
    const f = (await runCli(['features', '--data-dir', dir, '--symbols', 'SOL-PERP', '--timeframe', '1h', '--from', '2026-03-01', '--json']));
    expect(f.code, f.stderr).toBe(0);
    const doc = JSON.parse(f.stdout) as { rows: number; stale: Record<string, number>; missing: Record<string, number> };
    // decision times 2026-03-01 00:00:05 .. the last 1h bar close (2026-04-27 11:00)
    expect(doc.rows).toBe(57 * 24 + 12);
    expect(doc.stale['spot_bars']).toBeGreaterThan(0); // spot data ends 2026-04-13
    expect(doc.missing['open_interest']).toBe(doc.rows); // the sample has no OI
    const l = (await runCli(['features', '--labels', '--data-dir', dir, '--symbols', 'SOL-PERP', '--from', '2026-04-01', '--horizons', '1h,4h', '--json']));
    expect(l.code, l.stderr).toBe(0);
    expect(JSON.parse(l.stdout)).toMatchObject({ label_timeframe: 'finest', horizons: ['1h', '4h'], price_sources: { 'SOL-PERP': ['bars:15m', 'bars:1h'] } });
    const list = JSON.parse((await runCli(['features', '--list', '--json', '--data-dir', dir])).stdout) as { built: Array<{ family: string; timeframe: string; symbols: number; first: string }> };
    const price = list.built.find((b) => b.family === 'price' && b.timeframe === '1h');
    expect(price?.symbols).toBe(1);
    expect(price?.first).toBe('2026-03-01T00:00:05.000Z');
    const ls = (await runCli(['datasets', '--data-dir', dir, '--json']));
    expect(ls.code).toBe(0);
    const bad = (await runCli(['features', '--data-dir', dir, '--set', 'astrology']));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('astrology');
    const badWorker = (await runCli(['features', '--data-dir', dir, '--worker', 'maybe']));
    expect(badWorker.code).toBe(2);
    expect(badWorker.stderr).toMatch(/maybe/);
    expect(badWorker.stderr).toMatch(/auto, on, off/);
    const none = (await runCli(['features', '--data-dir', tempDir(), '--json']));
    expect(none.code).toBe(4);
    expect(JSON.parse(none.stdout).error.hint).toContain('perpkit fetch');
    const tf = (await runCli(['features', '--data-dir', dir, '--timeframe', '4h', '--symbols', 'BTC-PERP', '--from', '2026-04-01', '--json']));
    expect(tf.code, tf.stderr).toBe(0); // 4h rolled up from 1h
    expect(JSON.parse(tf.stdout).notes.join(' ')).toContain('rolled up from 1h');
  });

  it('--check-leakage passes on the sample', async () => {
    const dir = tempDir();
    cpSync(join(ROOT, 'data', 'sample'), dir, { recursive: true });
    const r = (await runCli(['features', '--check-leakage', '--cutoffs', '3', '--data-dir', dir, '--symbols', 'ETH-PERP', '--from', '2026-03-10', '--to', '2026-04-10', '--json']));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, differences: [] });
  });
});
