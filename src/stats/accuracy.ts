/**
 * Benchmark score statistics, pure. A running accumulator keeps n, sum and sum of squares so that scores can be
 * streamed (a 50,000-item run holds three numbers per metric, not 50,000). The standard error is the
 * harness's: sample standard deviation (n-1) over sqrt(n).
 */
export class MeanAccumulator {
  n = 0;
  sum = 0;
  sumSq = 0;

  add(x: number): void {
    this.n++;
    this.sum += x;
    this.sumSq += x * x;
  }

  get mean(): number {
    return this.n === 0 ? Number.NaN : this.sum / this.n;
  }

  /** Unbiased sample variance. */
  get variance(): number {
    if (this.n < 2) return Number.NaN;
    const v = (this.sumSq - (this.sum * this.sum) / this.n) / (this.n - 1);
    return Math.max(0, v);
  }

  get stderr(): number {
    return this.n < 2 ? Number.NaN : Math.sqrt(this.variance / this.n);
  }
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] as number;
  return xs.length === 0 ? Number.NaN : s / xs.length;
}

/** Standard error of the mean of the values (sample sd with n-1, over sqrt n). */
export function meanStderr(xs: ArrayLike<number>): number {
  const acc = new MeanAccumulator();
  for (let i = 0; i < xs.length; i++) acc.add(xs[i] as number);
  return acc.stderr;
}

export interface SubtaskStat {
  n: number;
  mean: number;
  stderr: number;
}

/**
 * Group aggregate over subtasks: the mean over items (each subtask weighted by its size) with the pooled
 * standard error lm-evaluation-harness reports, and the plain mean over subtasks.
 */
export function aggregateGroup(subtasks: SubtaskStat[]): {
  n: number;
  itemMean: number;
  itemStderr: number;
  subtaskMean: number;
} {
  const valid = subtasks.filter((s) => s.n > 0 && Number.isFinite(s.mean));
  const n = valid.reduce((a, s) => a + s.n, 0);
  const itemMean = n === 0 ? Number.NaN : valid.reduce((a, s) => a + s.mean * s.n, 0) / n;
  const subtaskMean = valid.length === 0 ? Number.NaN : valid.reduce((a, s) => a + s.mean, 0) / valid.length;
  // Pooled variance over subtasks (within-subtask variance plus the spread of subtask means).
  let within = 0;
  let between = 0;
  for (const s of valid) {
    const variance = Number.isFinite(s.stderr) ? s.stderr * s.stderr * s.n : 0;
    within += (s.n - 1) * variance;
    between += s.n * (s.mean - itemMean) ** 2;
  }
  const pooledVar = n > 1 ? (within + between) / (n - 1) : Number.NaN;
  return { n, itemMean, itemStderr: Math.sqrt(pooledVar / n), subtaskMean };
}

/** Open LLM Leaderboard v2 normalisation: 0 at chance, 100 at perfect; below chance is negative. */
export function normalizedScore(raw: number, baseline: number): number {
  if (baseline >= 1) return Number.NaN;
  return (100 * (raw - baseline)) / (1 - baseline);
}
