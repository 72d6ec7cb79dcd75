/**
 * The run viewer's reading of stored samples: per sample the prompt as sent, the target, the prediction and
 * whether it passed; for multiple choice each choice's text, log-likelihood, length-normalised score and which
 * was picked. Also the outcome and text filters of the sample list, and the sample-by-sample diff of two runs
 * (beside `compareRuns`, the statistics `modelmap runs compare` prints). It reads samples in the run API's shape
 * (`data` with lm-eval's field names, scores keyed `metric,filter`), so the pages and `/api/runs` agree.
 */
import type { Store } from "../store/store.ts";
import { findRun } from "./service.ts";
import { sampleView } from "./views.ts";

/** A stored sample as the run API serves it. */
export interface ApiSample {
  task: string;
  docId: number;
  data: unknown;
  scores: Record<string, number>;
  error: string | null;
}

export type Outcome = "pass" | "fail" | "error" | "scored";

export interface ChoiceView {
  index: number;
  text: string;
  logprob: number;
  /** Log-likelihood per character of the choice (lm-eval's acc_norm divides by the choice's length). */
  normalized: number;
  /** The choice is the model's greedy continuation. */
  greedy: boolean;
  /** Picked by acc (highest log-likelihood) and by acc_norm (highest normalised score). */
  picked: boolean;
  pickedNorm: boolean;
  gold: boolean;
}

export interface SampleDigest {
  task: string;
  docId: number;
  prompt: string;
  target: string;
  prediction: string;
  /** The metric that decides pass or fail (the primary one, else the first 0/1 score). */
  metric: string | undefined;
  score: number | undefined;
  outcome: Outcome;
  choices?: ChoiceView[];
  error?: string;
}

const rec = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function text(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === "string") return v[0];
  return JSON.stringify(v);
}

/** The scoring metric: the given primary one if the sample has it, else a 0/1 accuracy-like score. */
function decidingMetric(scores: Record<string, number>, primary: string | undefined): string | undefined {
  if (primary && primary in scores) return primary;
  const keys = Object.keys(scores).filter((k) => !k.startsWith("_"));
  const preferred = ["acc,none", "exact_match,strict-match", "exact_match,flexible-extract", "exact_match,none"];
  return preferred.find((k) => k in scores) ?? keys.find((k) => scores[k] === 0 || scores[k] === 1) ?? keys[0];
}

function choicesOf(d: Record<string, unknown>): ChoiceView[] | undefined {
  const args = Array.isArray(d.arguments) ? d.arguments : [];
  const resps = Array.isArray(d.resps) ? d.resps : [];
  if (args.length === 0 || args.length !== resps.length) return undefined;
  const out: ChoiceView[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = rec(args[i]);
    const r = resps[i];
    if (a.kind !== "loglikelihood" || !Array.isArray(r) || typeof r[0] !== "number") return undefined;
    const t = typeof a.continuation === "string" ? a.continuation : "";
    out.push({
      index: i,
      text: t,
      logprob: r[0],
      // lm-eval divides by the choice's length, without the target delimiter (a space) the continuation starts with.
      normalized: r[0] / Math.max(1, t.startsWith(" ") ? t.length - 1 : t.length),
      greedy: r[1] === true,
      picked: false,
      pickedNorm: false,
      gold: false,
    });
  }
  const best = (key: "logprob" | "normalized") =>
    out.reduce((b, c) => (c[key] > (out[b] as ChoiceView)[key] ? c.index : b), 0);
  (out[best("logprob")] as ChoiceView).picked = true;
  (out[best("normalized")] as ChoiceView).pickedNorm = true;
  // The target is the gold index (lm-eval's doc_to_target: a number, or a list where several are right) or the
  // gold choice's text.
  const t = d.target;
  const goldIdx =
    typeof t === "number" ? [t] : Array.isArray(t) && t.every((x) => typeof x === "number") ? (t as number[]) : [];
  for (const g of goldIdx) if (out[g]) (out[g] as ChoiceView).gold = true;
  if (goldIdx.length === 0) {
    // The target is the gold choice's text (or several texts): mark the choices that carry it.
    const targets = (Array.isArray(d.target) ? d.target : [d.target]).map((x) => String(x).trim());
    for (const c of out) if (targets.includes(c.text.trim())) c.gold = true;
  }
  return out;
}

/** One sample as the viewer shows it. `primary` is the task's primary metric key (`acc,none`). */
export function digestSample(s: ApiSample, primary?: string): SampleDigest {
  const d = rec(s.data);
  const metric = decidingMetric(s.scores, primary);
  const score = metric === undefined ? undefined : s.scores[metric];
  const choices = choicesOf(d);
  const filtered = rec(d.filtered_resps);
  const filter = metric?.split(",")[1];
  let prediction: string;
  if (choices) {
    const norm = metric?.startsWith("acc_norm");
    const pick = choices.find((c) => (norm ? c.pickedNorm : c.picked));
    prediction = pick ? pick.text.trim() : "";
  } else if (filter !== undefined && filter in filtered) prediction = text(filtered[filter]);
  else prediction = text(d.filtered_resps ?? d.resps);
  const outcome: Outcome =
    s.error !== null
      ? "error"
      : score === undefined
        ? "scored"
        : score === 1
          ? "pass"
          : score === 0
            ? "fail"
            : "scored";
  const goldTexts = choices
    ?.filter((c) => c.gold)
    .map((c) => c.text.trim())
    .join(" | ");
  const out: SampleDigest = {
    task: s.task,
    docId: s.docId,
    prompt: text(d.prompt),
    target: goldTexts || text(d.target),
    prediction,
    metric,
    score,
    outcome,
  };
  if (choices) out.choices = choices;
  if (s.error !== null) out.error = s.error;
  return out;
}

export interface SampleFilter {
  outcome?: Outcome | undefined;
  /** Case-insensitive text in the prompt, target or prediction. */
  q?: string | undefined;
}

export interface DigestPage {
  run: string;
  task: string;
  page: number;
  page_size: number;
  /** Samples matching the filter (all pages). */
  total: number;
  counts: Record<Outcome, number>;
  samples: SampleDigest[];
}

function matches(s: SampleDigest, f: SampleFilter, q: string | undefined): boolean {
  if (f.outcome && s.outcome !== f.outcome) return false;
  if (q && !`${s.prompt}\n${s.target}\n${s.prediction}`.toLowerCase().includes(q)) return false;
  return true;
}

/** The primary metric of a task in a run's stored results (`acc,none`), if recorded. */
export function primaryMetric(results: unknown, task: string): string | undefined {
  const r = rec(rec(results)[task]);
  if (typeof r.primary_metric === "string") return r.primary_metric;
  const p = rec(r.primary);
  return typeof p.metric === "string" && typeof p.filter === "string" ? `${p.metric},${p.filter}` : undefined;
}

/** The stored samples of one task of a run, in document order, in the run API's shape. */
export type SampleSource = (runId: string, task: string) => AsyncIterable<ApiSample>;

export function storeSamples(store: Store): SampleSource {
  return async function* (runId, task) {
    for await (const s of store.evals.iterateSamples(runId, task)) yield sampleView(s);
  };
}

/** A filtered page of a task's samples, with the outcome counts of the whole task. */
export async function digestPage(
  store: Store,
  idOrPrefix: string,
  task: string,
  filter: SampleFilter = {},
  opts: { page?: number | undefined; pageSize?: number | undefined; primary?: string | undefined } = {},
  source: SampleSource = storeSamples(store),
): Promise<DigestPage> {
  const run = await findRun(store, idOrPrefix);
  const page = Math.max(1, Math.floor(opts.page ?? 1));
  const pageSize = Math.min(500, Math.max(1, Math.floor(opts.pageSize ?? 50)));
  const counts: Record<Outcome, number> = { pass: 0, fail: 0, error: 0, scored: 0 };
  const q = filter.q?.trim().toLowerCase() || undefined;
  const from = (page - 1) * pageSize;
  const samples: SampleDigest[] = [];
  let total = 0;
  for await (const s of source(run.id, task)) {
    const d = digestSample(s, opts.primary);
    counts[d.outcome]++;
    if (!matches(d, filter, q)) continue;
    if (total >= from && samples.length < pageSize) samples.push(d);
    total++;
  }
  return { run: run.id, task, page, page_size: pageSize, total, counts, samples };
}

export interface SampleDiffRow {
  docId: number;
  prompt: string;
  target: string;
  a: { prediction: string; outcome: Outcome; score: number | undefined };
  b: { prediction: string; outcome: Outcome; score: number | undefined };
}

export interface SampleDiff {
  runA: string;
  runB: string;
  task: string;
  /** Documents both runs have. */
  shared: number;
  /** Of those: passed in A only, in B only, in both, in neither (0/1 outcomes). */
  onlyA: number;
  onlyB: number;
  both: number;
  neither: number;
  /** Documents whose outcome or prediction differs, in document order (capped at `limit`). */
  rows: SampleDiffRow[];
  changed: number;
}

/** Two runs of the same task side by side, document by document: where their outcomes or predictions differ. */
export async function sampleDiff(
  store: Store,
  a: string,
  b: string,
  task: string,
  opts: { limit?: number; primary?: string | undefined; all?: boolean } = {},
  source: SampleSource = storeSamples(store),
): Promise<SampleDiff> {
  const ra = await findRun(store, a);
  const rb = await findRun(store, b);
  const A = new Map<number, SampleDigest>();
  for await (const s of source(ra.id, task)) A.set(s.docId, digestSample(s, opts.primary));
  const out: SampleDiff = {
    runA: ra.id,
    runB: rb.id,
    task,
    shared: 0,
    onlyA: 0,
    onlyB: 0,
    both: 0,
    neither: 0,
    rows: [],
    changed: 0,
  };
  const limit = opts.limit ?? 200;
  for await (const s of source(rb.id, task)) {
    const da = A.get(s.docId);
    if (!da) continue;
    const db = digestSample(s, opts.primary);
    out.shared++;
    const pa = da.outcome === "pass";
    const pb = db.outcome === "pass";
    if (pa && pb) out.both++;
    else if (pa) out.onlyA++;
    else if (pb) out.onlyB++;
    else out.neither++;
    const differs = da.outcome !== db.outcome || da.prediction !== db.prediction;
    if (differs) out.changed++;
    if ((differs || opts.all) && out.rows.length < limit)
      out.rows.push({
        docId: s.docId,
        prompt: da.prompt,
        target: da.target,
        a: { prediction: da.prediction, outcome: da.outcome, score: da.score },
        b: { prediction: db.prediction, outcome: db.outcome, score: db.score },
      });
  }
  out.rows.sort((x, y) => x.docId - y.docId);
  return out;
}

export interface ResultRow {
  task: string;
  metric: string;
  filter: string;
  value: number | null;
  stderr: number | null;
  /** The random-guess score on the primary metric (and the normalised score above it), where recorded. */
  baseline: number | null;
  normalized: number | null;
  primary: boolean;
  n: number | null;
  errors: number | null;
}

const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** A run's results (lm-eval's layout: `acc,none`, `acc_stderr,none`, ...) as one row per task, metric and filter. */
export function resultRows(results: Record<string, unknown>): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const [task, raw] of Object.entries(results)) {
    const r = rec(raw);
    const primary = typeof r.primary_metric === "string" ? r.primary_metric : undefined;
    for (const key of Object.keys(r)) {
      if (!key.includes(",") || key.includes("_stderr,")) continue;
      const [metric = key, filter = "none"] = key.split(",");
      const isPrimary = key === primary;
      rows.push({
        task,
        metric,
        filter,
        value: numOrNull(r[key]),
        stderr: numOrNull(r[`${metric}_stderr,${filter}`]),
        baseline: isPrimary ? numOrNull(r.random_baseline) : null,
        normalized: isPrimary ? numOrNull(r.normalized_score) : null,
        primary: isPrimary,
        n: numOrNull(r.n),
        errors: numOrNull(r.n_errors),
      });
    }
  }
  return rows;
}
