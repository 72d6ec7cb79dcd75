/** Agreement between two raters and between two leaderboards. */

/** Cohen's kappa from a square confusion matrix (row-major, c x c). NaN when expected agreement is 1. */
export function cohenKappa(confusion: ArrayLike<number>, c: number): number {
  let total = 0;
  let observed = 0;
  const rows = new Float64Array(c);
  const cols = new Float64Array(c);
  for (let x = 0; x < c; x++) {
    for (let y = 0; y < c; y++) {
      const v = confusion[x * c + y] as number;
      total += v;
      rows[x] = (rows[x] as number) + v;
      cols[y] = (cols[y] as number) + v;
      if (x === y) observed += v;
    }
  }
  if (total === 0) return Number.NaN;
  let expected = 0;
  for (let x = 0; x < c; x++) expected += ((rows[x] as number) * (cols[x] as number)) / (total * total);
  const po = observed / total;
  return expected === 1 ? Number.NaN : (po - expected) / (1 - expected);
}

/** Ranks with ties given their average rank (1-based). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const ranks = new Float64Array(n);
  for (let s = 0; s < n; ) {
    let e = s;
    while (e + 1 < n && values[order[e + 1]!] === values[order[s]!]) e++;
    const avg = (s + e) / 2 + 1;
    for (let q = s; q <= e; q++) ranks[order[q]!] = avg;
    s = e + 1;
  }
  return ranks;
}

function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rho (Pearson correlation of average ranks). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error("spearman: length mismatch");
  return pearson(averageRanks(x), averageRanks(y));
}

/** Kendall's tau-b (accounts for ties), O(n^2): leaderboards are small. */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error("kendall: length mismatch");
  const n = x.length;
  let conc = 0;
  let disc = 0;
  let tieX = 0;
  let tieY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign((x[i] as number) - (x[j] as number));
      const dy = Math.sign((y[i] as number) - (y[j] as number));
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tieX++;
      else if (dy === 0) tieY++;
      else if (dx === dy) conc++;
      else disc++;
    }
  }
  const denom = Math.sqrt((conc + disc + tieX) * (conc + disc + tieY));
  return denom === 0 ? Number.NaN : (conc - disc) / denom;
}
