import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PerpkitError } from '../../src/domain/errors.js';
import { HYPOTHESIS_IDS } from '../../src/domain/research.js';
import { hypothesesDir, loadHypotheses, loadSpecFile } from '../../src/services/research/specs.js';
import { tempDir } from '../helpers.js';

describe('hypothesis specs', () => {
  it('H1-H6 ship and validate; H3 needs a second venue, H5 is a modulation test, H1 expects mean reversion', () => {
    const specs = loadHypotheses(['all']);
    expect(specs.map((s) => s.spec.id)).toEqual([...HYPOTHESIS_IDS]);
    const by = Object.fromEntries(specs.map((s) => [s.spec.id, s.spec]));
    expect(by['H3']!.requires_second_venue).toBe(true);
    expect(by['H5']!.modulation?.dimension).toBe('activity');
    expect(by['H1']!.features.every((f) => f.expected_sign === 'negative')).toBe(true);
    for (const s of specs) expect(s.hash).toMatch(/^[0-9a-f]{64}$/);
  });
  it('a changed spec has another hash (a new trial); a bad spec is a usage error naming the field', () => {
    const dir = tempDir();
    for (const id of HYPOTHESIS_IDS) copyFileSync(join(hypothesesDir(), `${id}.yaml`), join(dir, `${id}.yaml`));
    const before = loadSpecFile(join(dir, 'H1.yaml')).hash;
    writeFileSync(join(dir, 'H1.yaml'), readFileSync(join(dir, 'H1.yaml'), 'utf8').replace('[5m, 15m, 1h, 4h]', '[1h]'));
    expect(loadSpecFile(join(dir, 'H1.yaml')).hash).not.toBe(before);
    writeFileSync(join(dir, 'H2.yaml'), readFileSync(join(dir, 'H2.yaml'), 'utf8').replace('funding_basis_gap,', 'no_such_feature,'));
    let err: unknown;
    try {
      loadHypotheses(['H2'], dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PerpkitError);
    expect((err as PerpkitError).exitCode).toBe(2);
    expect((err as PerpkitError).message).toMatch(/features\.0\.name: not a feature of the catalog/);
    expect(() => loadHypotheses(['H9'], dir)).toThrow(/not one of H1, H2/);
  });
});

describe('H4 versions', () => {
  it('H4 v2 reads trade flow with the bar proxy as fallback; v1 stays loadable, bar proxy only, with its own hash', () => {
    const v2 = loadHypotheses(['H4'])[0]!;
    expect(v2.spec.version).toBe(2);
    expect(v2.spec.features.map((f) => [f.name, f.fallback])).toEqual([
      ['flow_div_trades_24', 'flow_div_barproxy_24'],
      ['taker_imb_24', 'flow_div_barproxy_24'],
      ['taker_imb_spot_24', 'flow_div_barproxy_24'],
    ]);
    const v1 = loadSpecFile(join(hypothesesDir(), 'versions', 'H4.v1.yaml'));
    expect(v1.spec.id).toBe('H4');
    expect(v1.spec.version).toBe(1);
    expect(v1.spec.features.map((f) => f.name)).toEqual(['flow_div_barproxy_24']);
    expect(v1.hash).not.toBe(v2.hash);
  });
  it('a fallback must be a catalog feature', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'H4.yaml'), readFileSync(join(hypothesesDir(), 'H4.yaml'), 'utf8').replace('fallback: flow_div_barproxy_24 }', 'fallback: no_such_feature }'));
    expect(() => loadSpecFile(join(dir, 'H4.yaml'))).toThrow(/features\.0\.fallback: not a feature of the catalog/);
  });
});
