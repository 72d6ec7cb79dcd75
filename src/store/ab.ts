/**
 * Storage contract for online experiments (A/B tests, src/ab) and for meta-evaluations of the map's signals
 * against a reference (src/meta). Experiments keep their per-variant summaries exactly as imported; effects,
 * sample-ratio checks and orderings are recomputed from them on read (they are cheap and pure).
 */

export const AB_METRIC_KINDS = ["proportion", "mean", "ratio"] as const;
export type AbMetricKind = (typeof AB_METRIC_KINDS)[number];

export interface AbVariant {
  name: string;
  /** The model as the file names it, and the map id it resolved to (an alias becomes its Hugging Face id). */
  model: string;
  modelId: string;
  /** Prompt or system-prompt preset the variant ran with. */
  preset?: string | undefined;
  /** Planned share of the traffic; undefined = an equal split. */
  plannedShare?: number | undefined;
  /** Units exposed (users, sessions: whatever was randomized). */
  units: number;
  /** kind proportion: units with the outcome. */
  successes?: number | undefined;
  /** kind mean: per-unit mean and standard deviation. */
  mean?: number | undefined;
  sd?: number | undefined;
  /** kind ratio: per-unit means and spreads of numerator and denominator, and their covariance. */
  numeratorMean?: number | undefined;
  denominatorMean?: number | undefined;
  numeratorSd?: number | undefined;
  denominatorSd?: number | undefined;
  covariance?: number | undefined;
}

export interface AbExperiment {
  id: string;
  category: string;
  /** ISO dates or date-times as given. */
  start: string;
  end: string;
  metric: string;
  kind: AbMetricKind;
  higherIsBetter: boolean;
  /** The first variant is the control. */
  variants: AbVariant[];
  /** Where it was imported from. */
  file?: string | undefined;
  line?: number | undefined;
}

export interface AbRepo {
  /**
   * Stores one file's experiments in one transaction; an experiment whose id is already stored is replaced
   * (re-importing a corrected export updates it).
   */
  put(batch: {
    file: string;
    fileSha256: string;
    experiments: AbExperiment[];
  }): Promise<{ inserted: number; replaced: number }>;
  list(query?: { category?: string | undefined }): Promise<AbExperiment[]>;
  get(id: string): Promise<AbExperiment | undefined>;
  count(): Promise<number>;
}

export interface MetaReportRecord {
  /** The reference as resolved (`source/metric`). */
  reference: string;
  category: string;
  report: unknown;
  createdAt: string;
}

export interface MetaRepo {
  /** Stores (replaces) the meta-evaluation against this reference in this category. */
  put(reference: string, category: string, report: unknown): Promise<void>;
  /** The most recent meta-evaluation whose reference lies in this category, if any. */
  latestForCategory(category: string): Promise<MetaReportRecord | undefined>;
  list(): Promise<MetaReportRecord[]>;
}
