/**
 * The Open LLM Leaderboard v2's published normalisation (its documentation's "Scores Normalization" page and the
 * notebook it links): each benchmark's raw score mapped to 0-100 against its random baseline, negatives clipped to
 * 0; benchmarks with subtasks (BBH, MuSR) normalised per subtask against that subtask's chance and then averaged;
 * the leaderboard's average is the mean of the six normalised scores. Pure functions, no I/O.
 */

/** `normalize_within_range(value, lower_bound, higher_bound)`: `np.clip(value - lower, 0, None) / (higher - lower) * 100`. */
export function normalizeWithinRange(value: number, lowerBound: number, higherBound = 1): number {
  return (Math.max(value - lowerBound, 0) / (higherBound - lowerBound)) * 100;
}

/** Choices per BBH subtask as the leaderboard normalises them (its `bbh_subtasks`; each is the task's own count). */
export const V2_BBH_CHOICES: Readonly<Record<string, number>> = {
  sports_understanding: 2,
  tracking_shuffled_objects_three_objects: 3,
  navigate: 2,
  snarks: 2,
  date_understanding: 6,
  reasoning_about_colored_objects: 18,
  object_counting: 19,
  logical_deduction_seven_objects: 7,
  geometric_shapes: 11,
  web_of_lies: 2,
  movie_recommendation: 6,
  logical_deduction_five_objects: 5,
  salient_translation_error_detection: 6,
  disambiguation_qa: 3,
  temporal_sequences: 4,
  hyperbaton: 2,
  logical_deduction_three_objects: 3,
  causal_judgement: 2,
  formal_fallacies: 2,
  tracking_shuffled_objects_seven_objects: 7,
  ruin_names: 6,
  penguins_in_a_table: 5,
  boolean_expressions: 2,
  tracking_shuffled_objects_five_objects: 5,
};

/** Choices per MuSR domain as the leaderboard normalises them (object placements: 5, whatever a question has). */
export const V2_MUSR_CHOICES: Readonly<Record<string, number>> = {
  murder_mysteries: 2,
  object_placements: 5,
  team_allocation: 3,
};

/** Random baselines of the benchmarks without subtasks. */
export const V2_BASELINES = { ifeval: 0, math: 0, gpqa: 0.25, mmlu_pro: 0.1 } as const;

export interface V2Column {
  /** The raw score, a fraction (the final table's `evaluations_*_value`). */
  raw: number;
  /** The normalised score, 0-100 (`evaluations_*_normalized_score`). */
  normalized: number;
}

/** A benchmark without subtasks: the raw score normalised against one baseline. */
export function v2Single(raw: number, baseline: number): V2Column {
  return { raw, normalized: normalizeWithinRange(raw, baseline) };
}

/**
 * A benchmark with subtasks: each subtask's score normalised against 1/choices, then averaged; the raw column is
 * the plain mean of the subtasks' scores (as the final table's BBH and MuSR values are).
 */
export function v2Subtasks(scores: ReadonlyArray<{ raw: number; choices: number }>): V2Column {
  if (scores.length === 0) return { raw: Number.NaN, normalized: Number.NaN };
  let raw = 0;
  let norm = 0;
  for (const s of scores) {
    raw += s.raw;
    norm += normalizeWithinRange(s.raw, 1 / s.choices, 1);
  }
  return { raw: raw / scores.length, normalized: norm / scores.length };
}

/** IFEval: the mean of prompt-level and instruction-level strict accuracy (the leaderboard's `ifeval_score`). */
export function v2Ifeval(promptLevelStrict: number, instLevelStrict: number): V2Column {
  return {
    raw: (promptLevelStrict + instLevelStrict) / 2,
    normalized: (instLevelStrict * 100 + promptLevelStrict * 100) / 2,
  };
}

/** The leaderboard's average: the mean of the six normalised scores. */
export function v2Average(normalized: readonly number[]): number {
  let s = 0;
  for (const x of normalized) s += x;
  return s / normalized.length;
}

/**
 * Bounds of a subtask-normalised score (`v2Subtasks(...).normalized`) given only the subtasks' plain mean `raw`
 * and their baselines: what the formula can give for any subtask scores in [0, 1] with that mean. The function is
 * convex in each subtask's score, so its minimum fills the subtasks up to their baselines first (where it is 0) and
 * then those with the lowest baselines; its maximum puts whole subtasks at 1 and the rest on the lowest baseline.
 */
export function v2SubtaskBounds(raw: number, choices: readonly number[]): { lo: number; hi: number } {
  const m = choices.length;
  const baselines = choices.map((c) => 1 / c).sort((a, b) => a - b);
  const total = raw * m;
  let excess = Math.max(0, total - baselines.reduce((a, b) => a + b, 0));
  let lo = 0;
  for (const b of baselines) {
    const t = Math.min(excess, 1 - b);
    lo += t / (1 - b);
    excess -= t;
  }
  const whole = Math.min(m, Math.floor(total));
  const rest = total - whole;
  const low = baselines[0] ?? 0;
  const hi = whole + (whole < m ? Math.max(0, rest - low) / (1 - low) : 0);
  return { lo: (lo * 100) / m, hi: (hi * 100) / m };
}

/** Half a unit in the last place of a value printed with 15 significant digits (the final table's precision). */
export function halfUlp15(x: number): number {
  if (x === 0) return 0;
  return 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(x))) - 14);
}
