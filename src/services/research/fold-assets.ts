/**
 * The panel's names of a `folds-test` run's assets (research/panel.ts): no imports, so the grid's
 * worker threads (grid-worker.ts, through cells.ts) load it without the store and DuckDB.
 */

/** The panel's name of an asset's rows in one fold of a `folds-test` run: `<symbol>@fold-<N>`. */
export const foldAsset = (symbol: string, fold: number): string => `${symbol}@fold-${fold}`;

/** The fold of a `folds-test` panel asset (foldAsset), or null for an asset of one segment. */
export function foldOfAsset(name: string): number | null {
  const m = /@fold-(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** The symbol of a panel asset: the name without its fold (foldAsset), or the name itself. */
export function symbolOfAsset(name: string): string {
  return foldOfAsset(name) === null ? name : name.slice(0, name.lastIndexOf('@fold-'));
}
