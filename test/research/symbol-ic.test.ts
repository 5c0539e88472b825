import { describe, expect, it } from 'vitest';
import { foldAsset } from '../../src/services/research/fold-assets.js';
import { icBySymbol } from '../../src/services/research/panel.js';

describe('icBySymbol: per-asset ICs rolled up by symbol', () => {
  it('folds-test assets: the mean over the folds with an IC, the folds listed and each sign counted', () => {
    const by = {
      [foldAsset('ETH-PERP', 1)]: 0.2,
      [foldAsset('BTC-PERP', 1)]: 0.1,
      [foldAsset('BTC-PERP', 2)]: -0.04,
      [foldAsset('BTC-PERP', 3)]: null,
      [foldAsset('BTC-PERP', 11)]: 0.03,
      [foldAsset('SOL-PERP', 2)]: null,
    };
    const r = icBySymbol(by);
    expect(Object.keys(r)).toEqual(['BTC-PERP', 'ETH-PERP', 'SOL-PERP']);
    expect(r['BTC-PERP']!.ic).toBeCloseTo((0.1 - 0.04 + 0.03) / 3, 15);
    expect(r['BTC-PERP']).toMatchObject({ with_ic: 3, listed: 4, positive: 2, negative: 1 });
    expect(r['ETH-PERP']).toEqual({ ic: 0.2, with_ic: 1, listed: 1, positive: 1, negative: 0 });
    expect(r['SOL-PERP']).toEqual({ ic: null, with_ic: 0, listed: 1, positive: 0, negative: 0 });
  });

  it('assets of one segment are their own symbol; a zero IC is neither sign; NaN counts as no IC', () => {
    const r = icBySymbol({ 'XRP-PERP': 0, 'DOGE-PERP': Number.NaN, 'fold-1@x': 0.5 });
    expect(r['XRP-PERP']).toEqual({ ic: 0, with_ic: 1, listed: 1, positive: 0, negative: 0 });
    expect(r['DOGE-PERP']).toEqual({ ic: null, with_ic: 0, listed: 1, positive: 0, negative: 0 });
    // only a trailing @fold-N names a fold
    expect(r['fold-1@x']!.ic).toBe(0.5);
  });
});
