/**
 * The stored form of each record, shared by both stores: the SQLite and PostgreSQL schemas have the same columns
 * with the same values (integers, floats, text, JSON as text), so one row type and one mapper per record serve
 * both, and a record reads back the same from either.
 */
import type { Vote, Winner } from "../core/votes.ts";
import type { AbExperiment, AbMetricKind, AbVariant } from "./ab.ts";
import type { CapEvidence, CapModel, EvidenceKind } from "./capmap.ts";
import type { CheckKind, CheckReportRecord } from "./contamination.ts";
import type { EvalRunRecord, EvalRunStatus, EvalSampleRecord } from "./evals.ts";
import type { AnswerRecord, JudgmentKind, JudgmentRecord, StoredPromptItem, StoredPromptSet } from "./judging.ts";
import type { AssignmentRecord, CampaignItem, CampaignRecord, LabelChoice } from "./labeling.ts";
import { parseFailure, parseRunLog, parseSpec, RUN_LOG_VERSION, type SampleData } from "./run-log.ts";
import type { StoredVote } from "./store.ts";

export interface VoteRow {
  id: number;
  source: string;
  prompt_id: string | null;
  model_a: string;
  model_b: string;
  winner: Winner;
  judge: string | null;
  shown_first: "model_a" | "model_b" | null;
  category: string | null;
  language: string | null;
  turn: number | null;
  tstamp: number | null;
  anony: number | null;
  rationale: string | null;
}

/** Fields a `--filter field=value` may name, mapped to columns (never interpolated from user input). */
export const FILTER_COLUMNS: Record<string, string> = {
  judge: "judge",
  category: "category",
  language: "language",
  prompt_id: "prompt_id",
  question_id: "prompt_id",
  source: "source",
  turn: "turn",
  anony: "anony",
};

export function toStoredVote(r: VoteRow): StoredVote {
  const v: StoredVote = { id: r.id, source: r.source, modelA: r.model_a, modelB: r.model_b, winner: r.winner };
  if (r.prompt_id !== null) v.promptId = r.prompt_id;
  if (r.judge !== null) v.judge = r.judge;
  if (r.shown_first !== null) v.shownFirst = r.shown_first;
  if (r.category !== null) v.category = r.category;
  if (r.language !== null) v.language = r.language;
  if (r.turn !== null) v.turn = r.turn;
  if (r.tstamp !== null) v.tstamp = r.tstamp;
  if (r.anony !== null) v.anony = r.anony === 1;
  if (r.rationale !== null) v.rationale = r.rationale;
  return v;
}

/** The columns of a vote as stored. */
export function voteRow(source: string, importId: number | null, v: Vote) {
  return {
    source,
    import_id: importId,
    prompt_id: v.promptId ?? null,
    model_a: v.modelA,
    model_b: v.modelB,
    winner: v.winner,
    judge: v.judge ?? null,
    shown_first: v.shownFirst ?? null,
    category: v.category ?? null,
    language: v.language ?? null,
    turn: v.turn ?? null,
    tstamp: v.tstamp ?? null,
    anony: v.anony === undefined ? null : v.anony ? 1 : 0,
    rationale: v.rationale ?? null,
  };
}

export interface RunRow {
  id: string;
  model_id: string;
  model_json: string;
  config_json: string;
  status: EvalRunStatus;
  failure_json: string | null;
  results_json: string | null;
  created_at: string;
  updated_at: string;
}

export interface SampleRow {
  task: string;
  doc_id: number;
  data_json: string;
  scores_json: string;
  error: string | null;
}

export function toRun(r: RunRow): EvalRunRecord {
  const spec = parseSpec(JSON.parse(r.config_json));
  const identity = JSON.parse(r.model_json) as unknown;
  return {
    id: r.id,
    modelId: r.model_id,
    identity: identity && typeof identity === "object" ? (identity as Record<string, unknown>) : {},
    spec,
    status: r.status,
    failure: r.failure_json === null ? null : parseFailure(JSON.parse(r.failure_json)),
    log: r.results_json === null ? null : parseRunLog(JSON.parse(r.results_json), spec),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function sampleData(s: EvalSampleRecord): SampleData {
  const { task: _t, docId: _d, scores: _s, error: _e, ...rest } = s;
  return { v: RUN_LOG_VERSION, ...rest };
}

export interface AnswerRow {
  key: string;
  set_name: string;
  prompt_id: string;
  model: string;
  outputs: string;
  params: string;
  finish_reasons: string;
  error: string | null;
  chars: number;
  tokens: number;
  headers: number;
  lists: number;
  bold: number;
  created_at: string;
}

export interface JudgmentRow {
  key: string;
  judge: string;
  kind: JudgmentKind;
  set_name: string;
  prompt_id: string;
  category: string;
  answer_first: string;
  answer_second: string | null;
  model_first: string;
  model_second: string | null;
  verdict: string | null;
  score: number | null;
  parse_error: string | null;
  raw: string;
  reference_guided: number;
  judge_prompt_hash: string;
}

export interface PromptItemRow {
  set_name: string;
  id: string;
  category: string;
  turns: string;
  reference: string | null;
  tags: string;
}

export function toAnswer(r: AnswerRow): AnswerRecord {
  return {
    key: r.key,
    setName: r.set_name,
    promptId: r.prompt_id,
    model: r.model,
    outputs: JSON.parse(r.outputs) as string[],
    params: JSON.parse(r.params) as unknown,
    finishReasons: JSON.parse(r.finish_reasons) as string[],
    error: r.error,
    chars: r.chars,
    tokens: r.tokens,
    headers: r.headers,
    lists: r.lists,
    bold: r.bold,
    createdAt: r.created_at,
  };
}

export function toJudgment(r: JudgmentRow): JudgmentRecord {
  return {
    key: r.key,
    judge: r.judge,
    kind: r.kind,
    setName: r.set_name,
    promptId: r.prompt_id,
    category: r.category,
    answerFirst: r.answer_first,
    answerSecond: r.answer_second,
    modelFirst: r.model_first,
    modelSecond: r.model_second,
    verdict: r.verdict,
    score: r.score,
    parseError: r.parse_error,
    raw: r.raw,
    referenceGuided: r.reference_guided === 1,
    judgePromptHash: r.judge_prompt_hash,
  };
}

export function toPromptItem(r: PromptItemRow): StoredPromptItem {
  return {
    setName: r.set_name,
    id: r.id,
    category: r.category,
    turns: JSON.parse(r.turns) as string[],
    reference: r.reference === null ? null : (JSON.parse(r.reference) as string | string[]),
    tags: JSON.parse(r.tags) as string[],
  };
}

export type SetRow = Omit<StoredPromptSet, "secret"> & { secret: number };
export const toSet = (r: SetRow): StoredPromptSet => ({ ...r, secret: r.secret === 1 });

export interface CampaignRow {
  id: string;
  name: string;
  set_name: string;
  models: string;
  per_labeler: number;
  reveal: "after" | "never";
  gold_rate: number;
  seed: number;
  created_at: string;
}
export interface LabelItemRow {
  id: number;
  campaign_id: string;
  prompt_id: string;
  model_a: string;
  model_b: string;
  answer_a: string;
  answer_b: string;
  gold_winner: string | null;
}
export interface AssignmentRow {
  id: string;
  campaign_id: string;
  item_id: number;
  labeler_id: string;
  left_is: "model_a" | "model_b";
  choice: LabelChoice | null;
  reason: string | null;
  vote_id: number | null;
  created_at: string;
  voted_at: string | null;
}

export const toCampaign = (r: CampaignRow): CampaignRecord => ({
  id: r.id,
  name: r.name,
  setName: r.set_name,
  models: JSON.parse(r.models) as string[],
  perLabeler: r.per_labeler,
  reveal: r.reveal,
  goldRate: r.gold_rate,
  seed: r.seed,
  createdAt: r.created_at,
});
export const toLabelItem = (r: LabelItemRow): CampaignItem => ({
  id: r.id,
  campaignId: r.campaign_id,
  promptId: r.prompt_id,
  modelA: r.model_a,
  modelB: r.model_b,
  answerA: r.answer_a,
  answerB: r.answer_b,
  goldWinner: r.gold_winner,
});
export const toAssignment = (r: AssignmentRow): AssignmentRecord => ({
  id: r.id,
  campaignId: r.campaign_id,
  itemId: r.item_id,
  labelerId: r.labeler_id,
  leftIs: r.left_is,
  choice: r.choice,
  reason: r.reason,
  voteId: r.vote_id,
  createdAt: r.created_at,
  votedAt: r.voted_at,
});

export interface ModelRow {
  id: string;
  name: string | null;
  params_b: number | null;
  license: string | null;
  architecture: string | null;
  base_model: string | null;
  date: string | null;
  merged: number | null;
  flagged: number | null;
  moe: number | null;
  type: string | null;
  has_chat_template: number | null;
  url: string | null;
}

export interface EvidenceRow {
  id: number;
  model_id: string;
  source: string;
  kind: EvidenceKind;
  metric: string;
  category: string;
  value: number;
  lo: number | null;
  hi: number | null;
  n: number | null;
  baseline: number | null;
  scaled: number;
  scaled_lo: number;
  scaled_hi: number;
}

export interface CellRow {
  model_id: string;
  category: string;
  estimate: number;
  lo: number;
  hi: number;
  n: number;
  evidence: number;
  sources: string;
}

export const bool = (v: boolean | undefined): number | null => (v === undefined ? null : v ? 1 : 0);

export function toModel(r: ModelRow): CapModel {
  const m: CapModel = { id: r.id };
  if (r.name !== null) m.name = r.name;
  if (r.params_b !== null) m.paramsB = r.params_b;
  if (r.license !== null) m.license = r.license;
  if (r.architecture !== null) m.architecture = r.architecture;
  if (r.base_model !== null) m.baseModel = r.base_model;
  if (r.date !== null) m.date = r.date;
  if (r.merged !== null) m.merged = r.merged === 1;
  if (r.flagged !== null) m.flagged = r.flagged === 1;
  if (r.moe !== null) m.moe = r.moe === 1;
  if (r.type !== null) m.type = r.type;
  if (r.has_chat_template !== null) m.hasChatTemplate = r.has_chat_template === 1;
  if (r.url !== null) m.url = r.url;
  return m;
}

export function toEvidence(r: EvidenceRow): CapEvidence {
  const e: CapEvidence = {
    modelId: r.model_id,
    source: r.source,
    kind: r.kind,
    metric: r.metric,
    category: r.category,
    value: r.value,
    scaled: r.scaled,
    scaledLo: r.scaled_lo,
    scaledHi: r.scaled_hi,
  };
  if (r.lo !== null) e.lo = r.lo;
  if (r.hi !== null) e.hi = r.hi;
  if (r.n !== null) e.n = r.n;
  if (r.baseline !== null) e.baseline = r.baseline;
  return e;
}

export interface ExperimentRow {
  id: string;
  line: number | null;
  file: string;
  category: string;
  start_at: string;
  end_at: string;
  metric: string;
  kind: AbMetricKind;
  higher_is_better: number;
}

export interface VariantRow {
  experiment_id: string;
  name: string;
  model: string;
  model_id: string;
  preset: string | null;
  planned_share: number | null;
  units: number;
  successes: number | null;
  mean: number | null;
  sd: number | null;
  numerator_mean: number | null;
  denominator_mean: number | null;
  numerator_sd: number | null;
  denominator_sd: number | null;
  covariance: number | null;
}

export const und = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function toVariant(r: VariantRow): AbVariant {
  return {
    name: r.name,
    model: r.model,
    modelId: r.model_id,
    preset: und(r.preset),
    plannedShare: und(r.planned_share),
    units: r.units,
    successes: und(r.successes),
    mean: und(r.mean),
    sd: und(r.sd),
    numeratorMean: und(r.numerator_mean),
    denominatorMean: und(r.denominator_mean),
    numeratorSd: und(r.numerator_sd),
    denominatorSd: und(r.denominator_sd),
    covariance: und(r.covariance),
  };
}

/** An experiment without its variants (they are read in a second query). */
export function toExperiment(r: ExperimentRow): AbExperiment {
  return {
    id: r.id,
    category: r.category,
    start: r.start_at,
    end: r.end_at,
    metric: r.metric,
    kind: r.kind,
    higherIsBetter: r.higher_is_better === 1,
    variants: [],
    file: r.file,
    line: und(r.line),
  };
}

export interface CheckRow {
  kind: CheckKind;
  model_id: string;
  task: string;
  report_json: string;
  created_at: string;
}

export function toCheckReport(r: CheckRow): CheckReportRecord {
  return {
    kind: r.kind,
    modelId: r.model_id,
    task: r.task,
    report: JSON.parse(r.report_json),
    createdAt: r.created_at,
  };
}
