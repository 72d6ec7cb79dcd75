/**
 * Krippendorff's alpha for nominal data: 1 - D_o / D_e from the coincidence matrix. Units with fewer
 * than two ratings carry no information about agreement and are skipped (as the method prescribes).
 * `units` holds, per unit, the category index of each rating. Returns NaN when no unit has two ratings
 * or when all pairable ratings fall into one category (expected disagreement 0).
 */
export function krippendorffAlphaNominal(units: ReadonlyArray<ArrayLike<number>>, categories: number): number {
  const o = new Float64Array(categories * categories);
  for (const u of units) {
    const m = u.length;
    if (m < 2) continue;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) {
        if (a === b) continue;
        const i = u[a] as number;
        const j = u[b] as number;
        o[i * categories + j] = (o[i * categories + j] as number) + 1 / (m - 1);
      }
    }
  }
  const nc = new Float64Array(categories);
  let n = 0;
  for (let i = 0; i < categories; i++) {
    for (let j = 0; j < categories; j++) nc[i] = (nc[i] as number) + (o[i * categories + j] as number);
    n += nc[i] as number;
  }
  if (n <= 1) return Number.NaN;
  let disagreeObserved = 0;
  let disagreeExpected = 0;
  for (let i = 0; i < categories; i++) {
    for (let j = 0; j < categories; j++) {
      if (i === j) continue;
      disagreeObserved += o[i * categories + j] as number;
      disagreeExpected += ((nc[i] as number) * (nc[j] as number)) / (n - 1);
    }
  }
  if (disagreeExpected === 0) return Number.NaN;
  return 1 - disagreeObserved / disagreeExpected;
}
