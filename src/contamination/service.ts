/**
 * The contamination service shared by the CLI and the server: per-item log-likelihood methods (loss, zlib,
 * lowercase and reference ratios, Min-K%, Min-K%++), Oren et al.'s sharded exchangeability test, 13-gram overlap
 * against a user-supplied corpus, and the canary check for the project's own prompt sets. Reports are stored
 * (latest per model and task) for the model card and the map.
 */
import type { Backend } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { readUserText } from "../core/files.ts";
import { createRng, deriveSeed, shuffleInPlace } from "../core/rng.ts";
import type { ProgressSink } from "../runner/progress.ts";
import {
  type ExchangeabilityResult,
  exchangeabilityTest,
  meanLoss,
  minKPlusPlus,
  minKProb,
  ngramOverlap,
  ngrams,
  ngramWords,
  ratioScore,
  shardIndices,
  zlibScore,
} from "../stats/contamination.ts";
import type { Store } from "../store/store.ts";
import type { LoadedTask } from "../tasks/loader.ts";
import { taskItems } from "./items.ts";
import { RollingScorer, type ScoringStats } from "./scoring.ts";

export const CONTAMINATION_REPORT_VERSION = 1;
/** Items are joined as a corpus would hold them: a blank line between items. */
export const ITEM_SEPARATOR = "\n\n";

export interface ContaminationOptions {
  modelId: string;
  task: LoadedTask;
  dataDir: string;
  reference?: { id: string; backend: Backend };
  /** Path of a training corpus (plain text) for 13-gram overlap. */
  corpus?: string;
  shards?: number;
  permutations?: number;
  seed?: number;
  limit?: number;
  /** Fraction of tokens for Min-K% and Min-K%++. */
  k?: number;
  /** The lowercase ratio (one more pass over the items; default on). `npm start` leaves it out. */
  lowercase?: boolean;
  ngram?: number;
  signal?: AbortSignal;
  /** Texts scored (items, their lowercase twins, shards in canonical and shuffled orders) out of all. */
  progress?: ProgressSink;
  /** The progress phase's name (default: "MODEL TASK contamination"). */
  progressLabel?: string;
}

export interface ItemScores {
  docId: number;
  tokens: number;
  loss: number;
  zlib: number;
  lowercase: number | null;
  reference: number | null;
  minK: number;
  minKpp: number | null;
  ngramOverlap: number | null;
}

export interface MethodSummary {
  /** Mean membership score over items (higher = more likely seen); loss is the mean loss itself. */
  score: number;
  pValue: number | null;
  note?: string;
}

export interface ContaminationReport {
  version: number;
  model: string;
  task: string;
  taskHash: string;
  items: number;
  options: {
    shards: number;
    permutations: number;
    seed: number;
    k: number;
    ngram: number;
    reference: string | null;
    corpus: string | null;
  };
  methods: Record<string, MethodSummary>;
  exchangeability: ExchangeabilityResult;
  /** Overall verdict: contaminated when the exchangeability test or the n-gram overlap says so. */
  flagged: boolean;
  flaggedItems: Array<{ docId: number; reasons: string[] }>;
  perItem: ItemScores[];
  stats: ScoringStats & { wallMs: number };
}

/** Significance level for the exchangeability verdict. */
export const ALPHA = 0.01;

function mean(xs: number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length === 0 ? Number.NaN : f.reduce((a, b) => a + b, 0) / f.length;
}

/** The corpus's n-grams (and its whole short lines, for items shorter than n words). */
export function corpusNgrams(path: string, n: number): Set<string> {
  const text = readUserText(path, "corpus file");
  const set = new Set<string>();
  for (const g of ngrams(ngramWords(text), n)) set.add(g);
  for (const para of text.split(/\n\s*\n/)) {
    const w = ngramWords(para);
    if (w.length > 0 && w.length < n) set.add(`short:${w.join(" ")}`);
  }
  return set;
}

/** The shuffled texts of one shard: `permutations` seeded orders of its items (within the shard). */
export function shardOrders(texts: string[], permutations: number, seed: number, shard: number): string[][] {
  const rng = createRng(deriveSeed(seed, `shard-${shard}`));
  return Array.from({ length: permutations }, () => shuffleInPlace([...texts], rng));
}

export async function runContamination(
  store: Store,
  backend: Backend,
  o: ContaminationOptions,
): Promise<ContaminationReport> {
  const t0 = performance.now();
  if (!backend.capabilities.loglikelihoodRolling)
    throw new ModelmapError(
      "unsupported",
      `model '${o.modelId}' cannot give rolling log-likelihoods, which contamination checks need`,
    );
  const shards = o.shards ?? 10;
  const permutations = o.permutations ?? 30;
  const seed = o.seed ?? 1234;
  const k = o.k ?? 0.2;
  const n = o.ngram ?? 13;
  const items = await taskItems(o.task, o.dataDir, o.limit);
  const texts = items.map((i) => i.text);
  const scorer = new RollingScorer(backend, store.evals);
  const sig = o.signal;
  const lowered = texts.map((t) => t.toLowerCase());
  const lowerIdx = o.lowercase === false ? [] : lowered.map((l, i) => (l !== texts[i] ? i : -1)).filter((i) => i >= 0);
  const shardCount = shardIndices(texts.length, shards).length;
  const progress = o.progress;
  if (progress) {
    const total = texts.length * (o.reference ? 2 : 1) + lowerIdx.length + shardCount * (1 + permutations);
    let done = 0;
    progress.start(total, o.progressLabel ?? `${o.modelId} ${o.task.name} contamination`);
    scorer.onScored = (n) => {
      done += n;
      progress.update(done, 0);
    };
  }

  const detail = await scorer.score(texts, true, sig);
  const lowerRes = await scorer.score(
    lowerIdx.map((i) => lowered[i] as string),
    false,
    sig,
  );
  const lowerLoss = new Map(
    lowerIdx.map((i, j) => {
      const r = lowerRes[j] as { logprob: number; tokenCount: number };
      return [i, -r.logprob / Math.max(1, r.tokenCount)];
    }),
  );
  let refLoss: number[] | null = null;
  if (o.reference) {
    const refScorer = new RollingScorer(o.reference.backend, store.evals);
    refScorer.onScored = scorer.onScored;
    refLoss = (await refScorer.score(texts, false, sig)).map((r) => -r.logprob / Math.max(1, r.tokenCount));
  }
  const corpus = o.corpus ? corpusNgrams(o.corpus, n) : null;
  const overlap = corpus ? ngramOverlap(texts, corpus, n) : null;

  const perItem: ItemScores[] = items.map((it, i) => {
    const d = detail[i] as (typeof detail)[number];
    const lps = d.tokenLogprobs ?? [];
    const loss = lps.length > 0 ? meanLoss(lps) : -d.logprob / Math.max(1, d.tokenCount);
    const ll = lowerLoss.get(i);
    return {
      docId: it.docId,
      tokens: d.tokenCount,
      loss,
      zlib: zlibScore(d.logprob, it.text),
      lowercase: ll === undefined ? null : ratioScore(loss, ll),
      reference: refLoss ? ratioScore(loss, refLoss[i] as number) : null,
      minK: lps.length > 0 ? minKProb(lps, k) : Number.NaN,
      minKpp:
        d.tokenStats && d.tokenStats.length === lps.length && lps.length > 0
          ? minKPlusPlus(lps, d.tokenStats, k)
          : null,
      ngramOverlap: overlap ? (overlap[i] as number) : null,
    };
  });

  // Exchangeability: each shard in canonical order and in shuffled orders, each as its own rolling sequence.
  const shardIdx = shardIndices(texts.length, shards);
  const canonTexts = shardIdx.map((ix) => ix.map((i) => texts[i] as string).join(ITEM_SEPARATOR));
  const shuffledTexts = shardIdx.map((ix, s) =>
    shardOrders(
      ix.map((i) => texts[i] as string),
      permutations,
      seed,
      s,
    ).map((order) => order.join(ITEM_SEPARATOR)),
  );
  const all = await scorer.score([...canonTexts, ...shuffledTexts.flat()], false, sig);
  const canon = all.slice(0, canonTexts.length).map((r) => r.logprob);
  let at = canonTexts.length;
  const shuffled = shuffledTexts.map((list) => list.map(() => (all[at++] as { logprob: number }).logprob));
  const exch = exchangeabilityTest(canon, shuffled);
  progress?.finish(scorer.stats.requested, 0);

  const methods: Record<string, MethodSummary> = {
    loss: {
      score: mean(perItem.map((p) => p.loss)),
      pValue: null,
      note: "mean per-token loss (nats); perplexity = exp(loss)",
    },
    zlib: { score: mean(perItem.map((p) => p.zlib)), pValue: null },
    min_k: { score: mean(perItem.map((p) => p.minK)), pValue: null, note: `k=${k}` },
    exchangeability: {
      score: exch.meanDiff,
      pValue: exch.pValue,
      note: `permutation p=${exch.permutationPValue.toFixed(4)}`,
    },
  };
  if (lowerIdx.length > 0)
    methods.lowercase = {
      score: mean(perItem.flatMap((p) => (p.lowercase === null ? [] : [p.lowercase]))),
      pValue: null,
    };
  if (refLoss)
    methods.reference = {
      score: mean(perItem.map((p) => p.reference ?? Number.NaN)),
      pValue: null,
      note: `reference ${o.reference?.id}`,
    };
  if (perItem.some((p) => p.minKpp !== null))
    methods.min_k_plus_plus = { score: mean(perItem.map((p) => p.minKpp ?? Number.NaN)), pValue: null, note: `k=${k}` };
  if (overlap)
    methods.ngram_overlap = {
      score: mean(overlap),
      pValue: null,
      note: `${n}-grams; fraction of items' n-grams in the corpus`,
    };

  const flaggedItems = perItem
    .map((p) => ({
      docId: p.docId,
      reasons: p.ngramOverlap !== null && p.ngramOverlap > 0 ? [`${n}-gram overlap ${p.ngramOverlap.toFixed(2)}`] : [],
    }))
    .filter((f) => f.reasons.length > 0);
  const flagged = exch.pValue < ALPHA || (overlap !== null && flaggedItems.length > 0);
  const report: ContaminationReport = {
    version: CONTAMINATION_REPORT_VERSION,
    model: o.modelId,
    task: o.task.name,
    taskHash: o.task.hash,
    items: items.length,
    options: {
      shards: shardIdx.length,
      permutations,
      seed,
      k,
      ngram: n,
      reference: o.reference?.id ?? null,
      corpus: o.corpus ?? null,
    },
    methods,
    exchangeability: exch,
    flagged,
    flaggedItems,
    perItem,
    stats: { ...scorer.stats, wallMs: performance.now() - t0 },
  };
  await store.checks.put("contamination", o.modelId, o.task.name, report);
  return report;
}
