/**
 * The run log: what a benchmark run records, as one versioned schema (`RunLogV1`) that the store parses once on
 * read, so that every reader (CLI, pages, JSON API, capability map, pipeline, sensitivity) gets typed values and
 * none takes lm-eval's `"metric,filter"` keys apart again. Metrics are rows (`{metric, filter, value, stderr}`);
 * lm-eval's string keys are built only where its JSON is written (`runner/lmeval-format.ts`).
 *
 * Records written before this schema (results keyed `"acc,none"`, samples with a free-form `data` object) are
 * converted when read (`legacyRunLog`, `legacySample`): old databases keep working without a rewrite.
 */
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";

export const RUN_LOG_VERSION = 1;

const int = z.number().int();
/** JSON has no NaN: a value that is not finite is stored as null. */
const num = z.number().nullable();

/** One aggregated metric under one filter. `stderr` is null where none applies (n < 2, perplexities). */
export const MetricValueSchema = z.strictObject({
  metric: z.string().min(1),
  filter: z.string().min(1),
  value: num,
  stderr: num,
});
export type MetricValue = z.infer<typeof MetricValueSchema>;

export const MetricRefSchema = z.strictObject({ metric: z.string().min(1), filter: z.string().min(1) });
export type MetricRef = z.infer<typeof MetricRefSchema>;

/** Failed requests of a task grouped by reason (an error code such as `unsupported`, `backend`, `input`). */
export const FailureCountSchema = z.strictObject({
  reason: z.string(),
  count: int.min(1),
  /** The first such failure's full message. */
  first: z.string(),
});
export type FailureCount = z.infer<typeof FailureCountSchema>;

export const TaskResultSchema = z.strictObject({
  alias: z.string(),
  /** The task's own version (lm-eval's `metadata.version`, else "Yaml"); null where a legacy record lacks it. */
  version: z.union([z.string(), z.number()]).nullable(),
  /** Content hash of the validated definition (changes whenever prompts or scores would). */
  hash: z.string().nullable(),
  nShot: int.min(0).nullable(),
  /** Documents in the evaluated split, and documents evaluated (after --limit). */
  nSamples: z.strictObject({ original: int.min(0).nullable(), effective: int.min(0) }),
  metrics: z.array(MetricValueSchema),
  higherIsBetter: z.record(z.string(), z.boolean().nullable()),
  /** Documents scored, and documents whose requests failed. */
  n: int.min(0),
  nErrors: int.min(0),
  failures: z.array(FailureCountSchema),
  /** Random-guess score on the primary metric (multiple choice: mean of 1/choices, or the task's value). */
  randomBaseline: num,
  primary: MetricRefSchema.nullable(),
  /** Open LLM Leaderboard v2 normalisation of the primary metric: 0 at chance, 100 at perfect. */
  normalizedScore: num,
  /** The task's configuration as it ran (lm-eval's `configs`); empty in legacy records. */
  config: z.record(z.string(), z.unknown()),
});
export type TaskResultV1 = z.infer<typeof TaskResultSchema>;

export const GroupResultSchema = z.strictObject({
  alias: z.string(),
  tasks: z.array(z.string()),
  /** Means over all items of the member tasks (size-weighted), with the pooled standard error. */
  metrics: z.array(MetricValueSchema),
  /** Means over member tasks (each task weighs the same); `stderr` is null. */
  macro: z.array(MetricValueSchema),
  n: int.min(0),
  nErrors: int.min(0),
  /** Mean of the members' normalized scores, when every member has one. */
  normalizedScore: num,
});
export type GroupResultV1 = z.infer<typeof GroupResultSchema>;

/** Everything that decides what a run computes (its hash is the run id). Unknown keys are kept: newer versions. */
export const RunSpecSchema = z.looseObject({
  model: z.string(),
  model_identity: z.record(z.string(), z.string()),
  tasks: z.array(z.string()),
  task_hashes: z.record(z.string(), z.string()),
  groups: z.array(z.strictObject({ name: z.string(), tasks: z.array(z.string()) })),
  limit: int.nullable(),
  seed: int,
  num_fewshot: int.nullable(),
  chat_template: z.boolean(),
  system_prompt: z.string().nullable(),
  system_prompt_sha256: z.string().nullable(),
  fewshot_as_multiturn: z.boolean(),
  /** Which chat template and system prompt a configured model renders with; absent in the oldest records. */
  model_prompting: z
    .looseObject({
      templateSource: z.string(),
      templateName: z.string().optional(),
      templateHash: z.string().optional(),
      systemPromptSource: z.string(),
      systemPromptHash: z.string(),
    })
    .nullable()
    .optional(),
  results_version: int,
  run_id: z.string().optional(),
});
export type RunSpec = z.infer<typeof RunSpecSchema>;

export const RunTimingSchema = z.strictObject({
  startedAt: z.string(),
  finishedAt: z.string(),
  seconds: z.number().min(0),
});

/** A finished run: its spec and per-task and per-group results. */
export const RunLogSchema = z.strictObject({
  version: z.literal(RUN_LOG_VERSION),
  spec: RunSpecSchema,
  results: z.record(z.string(), TaskResultSchema),
  groups: z.record(z.string(), GroupResultSchema),
  /** Wall-clock time of the attempt that finished the run; null in legacy records. */
  timing: RunTimingSchema.nullable(),
});
export type RunLogV1 = z.infer<typeof RunLogSchema>;

export const RunFailureSchema = z.strictObject({
  /** The error's code (`input`, `template`, `backend`, `aborted`, ...). */
  reason: z.string(),
  message: z.string(),
});
export type RunFailure = z.infer<typeof RunFailureSchema>;

/** One request as sent (after the chat template). */
export const PlannedRequestSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("loglikelihood"), context: z.string(), continuation: z.string() }),
  z.strictObject({ kind: z.literal("generate"), prompt: z.string(), params: z.record(z.string(), z.unknown()) }),
  z.strictObject({ kind: z.literal("rolling"), text: z.string() }),
]);

/** A raw answer per request: `[logprob, isGreedy]`, the generated text, or `[logprob, tokenCount]` (rolling). */
export const RespSchema = z.union([z.tuple([z.number(), z.boolean()]), z.string(), z.tuple([z.number(), z.number()])]);
export type Resp = z.infer<typeof RespSchema>;

export const ScoreSchema = z.strictObject({ metric: z.string().min(1), filter: z.string().min(1), value: z.number() });
export type Score = z.infer<typeof ScoreSchema>;

/** lm-eval's per-sample hashes: sha256 of the document's JSON, the first request's prompt, and str(target). */
export const SampleHashesSchema = z.strictObject({ doc: z.string(), prompt: z.string(), target: z.string() });
export type SampleHashes = z.infer<typeof SampleHashesSchema>;

/** The stored part of a sample besides its task, document id, scores and error. */
export const SampleDataSchema = z.strictObject({
  v: z.literal(RUN_LOG_VERSION),
  doc: z.unknown(),
  /** lm-eval's `doc_to_target(doc)` in its own type (a choice index, a text, a list). */
  target: z.unknown(),
  /** The correct answer as text: the gold choices of a multiple-choice document, else the target text. */
  gold: z.unknown().optional(),
  arguments: z.array(PlannedRequestSchema),
  /** lm-eval's generation arguments as it passes them, for generation requests. */
  genKwargs: z.record(z.string(), z.unknown()).optional(),
  resps: z.array(RespSchema),
  /** Per filter, the filtered answer of each request. */
  filteredResps: z.record(z.string(), z.array(z.unknown())),
  hashes: SampleHashesSchema.nullable(),
  /** Multiple choice: the chosen index; generation: why it stopped. */
  pred: int.optional(),
  finishReason: z.string().optional(),
  /** Rolling log-likelihood parts, for perplexities that aggregate over sums. */
  rolling: z.strictObject({ logprob: z.number(), tokens: z.number(), words: z.number() }).optional(),
  /** Failure reason (error code) when the sample failed. */
  errorReason: z.string().optional(),
  /** A grader's or judge's explanation, where one scored the sample. */
  rationale: z.string().optional(),
  timings: z.strictObject({ backendMs: z.number(), cached: z.boolean() }),
});
export type SampleData = z.infer<typeof SampleDataSchema>;

export interface EvalSample extends Omit<SampleData, "v"> {
  task: string;
  docId: number;
  scores: Score[];
  error: string | null;
}

/** The text the first request sent (the prompt as the model saw it). */
export function promptOf(s: Pick<EvalSample, "arguments">): string {
  const r = s.arguments[0];
  if (!r) return "";
  return r.kind === "loglikelihood" ? r.context : r.kind === "generate" ? r.prompt : r.text;
}

/** The value of one metric under one filter, if the sample has it. */
export function scoreOf(s: Pick<EvalSample, "scores">, ref: MetricRef): number | undefined {
  return s.scores.find((x) => x.metric === ref.metric && x.filter === ref.filter)?.value;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading: current records are validated; legacy ones (before RunLogV1) are converted.

function describe(e: z.ZodError): string {
  const i = e.issues[0];
  return i ? `${i.path.join(".") || "(root)"}: ${i.message}` : e.message;
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new ModelmapError("internal", `stored ${what} does not match the run log schema: ${describe(r.error)}`);
  return r.data;
}

export function parseSpec(value: unknown): RunSpec {
  return parseWith(RunSpecSchema, value, "run spec");
}

export function parseFailure(value: unknown): RunFailure | null {
  return value === null ? null : parseWith(RunFailureSchema, value, "run failure");
}

/** A stored results document: a RunLogV1, or a legacy `{results, groups, versions, config}` converted. */
export function parseRunLog(value: unknown, spec: RunSpec): RunLogV1 {
  if (value && typeof value === "object" && (value as { version?: unknown }).version !== undefined)
    return parseWith(RunLogSchema, value, "run log");
  return legacyRunLog(value, spec);
}

/** One stored sample: SampleData (`v: 1`), or a legacy free-form `data` object with `"metric,filter"` scores. */
export function parseSample(
  row: { task: string; docId: number; error: string | null },
  data: unknown,
  scores: unknown,
): EvalSample {
  if (data && typeof data === "object" && (data as { v?: unknown }).v === RUN_LOG_VERSION) {
    const { v: _v, ...d } = parseWith(SampleDataSchema, data, `sample ${row.task}#${row.docId}`);
    return { ...d, ...row, scores: parseWith(z.array(ScoreSchema), scores, `scores of ${row.task}#${row.docId}`) };
  }
  return legacySample(row, data, scores);
}

type Flat = Record<string, unknown>;

const asRecord = (v: unknown): Flat => (v && typeof v === "object" && !Array.isArray(v) ? (v as Flat) : {});
const finite = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const count = (v: unknown): number => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : 0);

/** Legacy `"acc,none"` / `"acc_stderr,none"` keys to rows; `suffix` picks the `_macro` rows of a group. */
function legacyRows(r: Flat, suffix = ""): MetricValue[] {
  const out: MetricValue[] = [];
  for (const [k, v] of Object.entries(r)) {
    const comma = k.indexOf(",");
    if (comma < 0) continue;
    const metric = k.slice(0, comma);
    const filter = k.slice(comma + 1);
    if (metric.endsWith("_stderr")) continue;
    if (suffix ? !metric.endsWith(suffix) : metric.endsWith("_macro")) continue;
    const name = suffix ? metric.slice(0, -suffix.length) : metric;
    out.push({
      metric: name,
      filter,
      value: finite(v),
      stderr: suffix ? null : finite(r[`${metric}_stderr,${filter}`]),
    });
  }
  return out;
}

function legacyRef(v: unknown): MetricRef | null {
  if (typeof v !== "string") return null;
  const comma = v.indexOf(",");
  return comma < 0 ? { metric: v, filter: "none" } : { metric: v.slice(0, comma), filter: v.slice(comma + 1) };
}

export function legacyRunLog(value: unknown, spec: RunSpec): RunLogV1 {
  const doc = asRecord(value);
  const versions = asRecord(doc.versions);
  const results: Record<string, TaskResultV1> = {};
  for (const [task, raw] of Object.entries(asRecord(doc.results))) {
    const r = asRecord(raw);
    const n = count(r.n);
    const hash = versions[task];
    results[task] = {
      alias: task,
      version: null,
      hash: typeof hash === "string" ? hash : (spec.task_hashes[task] ?? null),
      nShot: spec.num_fewshot,
      nSamples: { original: null, effective: n + count(r.n_errors) },
      metrics: legacyRows(r),
      higherIsBetter: {},
      n,
      nErrors: count(r.n_errors),
      failures: [],
      randomBaseline: finite(r.random_baseline),
      primary: legacyRef(r.primary_metric),
      normalizedScore: finite(r.normalized_score),
      config: {},
    };
  }
  const groups: Record<string, GroupResultV1> = {};
  for (const [name, raw] of Object.entries(asRecord(doc.groups))) {
    const r = asRecord(raw);
    groups[name] = {
      alias: name,
      tasks: spec.groups.find((g) => g.name === name)?.tasks ?? [],
      metrics: legacyRows(r),
      macro: legacyRows(r, "_macro"),
      n: count(r.n),
      nErrors: count(r.n_errors),
      normalizedScore: finite(r.normalized_score),
    };
  }
  return { version: RUN_LOG_VERSION, spec, results, groups, timing: null };
}

const LEGACY_PLANNED = z.array(PlannedRequestSchema).catch([]);

export function legacySample(
  row: { task: string; docId: number; error: string | null },
  data: unknown,
  scores: unknown,
): EvalSample {
  const d = asRecord(data);
  const args = LEGACY_PLANNED.parse(d.arguments);
  const rolling = asRecord(scores);
  const rows: Score[] = [];
  for (const [k, v] of Object.entries(rolling)) {
    const ref = legacyRef(k);
    if (ref && !k.startsWith("_") && typeof v === "number") rows.push({ ...ref, value: v });
  }
  // Legacy raw answers: MC `[[lp, greedy], ...]`, generation `[text]`, rolling `[lp, tokens]`.
  const rawResps = Array.isArray(d.resps) ? d.resps : [];
  const resps = z
    .array(RespSchema)
    .catch([])
    .parse(args[0]?.kind === "rolling" ? [rawResps] : rawResps);
  const filtered = asRecord(d.filtered_resps);
  const filteredResps: Record<string, unknown[]> =
    args[0]?.kind === "generate"
      ? Object.fromEntries(Object.entries(filtered).map(([f, v]) => [f, [v]]))
      : resps.length > 0
        ? { none: resps }
        : {};
  const timings = asRecord(d.timings);
  const out: EvalSample = {
    task: row.task,
    docId: row.docId,
    doc: d.doc,
    target: d.target,
    gold: d.target,
    arguments: args,
    resps,
    filteredResps,
    hashes: null,
    scores: rows,
    error: row.error,
    timings: { backendMs: finite(timings.backend_ms) ?? 0, cached: timings.cached === true },
  };
  if (typeof d.pred === "number" && Number.isInteger(d.pred)) out.pred = d.pred;
  if (typeof d.finish_reason === "string") out.finishReason = d.finish_reason;
  if (typeof d.rationale === "string") out.rationale = d.rationale;
  if (typeof rolling._logprob === "number")
    out.rolling = { logprob: rolling._logprob, tokens: count(rolling._tokens), words: count(rolling._words) };
  return out;
}
