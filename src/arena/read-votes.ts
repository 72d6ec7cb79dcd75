import { basename } from "node:path";
import { z } from "zod";
import { fieldPath, ModelmapError } from "../core/errors.ts";
import { readUserText } from "../core/files.ts";
import { textDefect } from "../core/text.ts";
import { normalizeWinner, type PairCounts, type Vote } from "../core/votes.ts";
import { JsonRowsError, type RawRow, splitJsonArray, splitJsonLines } from "./json-rows.ts";

/**
 * Readers for every pairwise-vote format modelmap takes:
 * - `lmsys`: Chatbot Arena battles, JSON array or JSONL, `model_a`, `model_b`, `winner` (model_a, model_b,
 *   tie, tie (bothbad)) plus optional question_id, judge, tstamp, language, turn, anony, category. In LMSYS
 *   data model_a is the model shown first. modelmap's own exports use the same row shape with
 *   `prompt_id` and an explicit `shown_first`.
 * - `counts`: aggregated counts `{models, X: [[i, j]], Y: [[wins_i, wins_j, ties(, ties_bothbad)]]}`.
 * - `threeclass`: PRD / QLoRA vicuna80 files `answer_A-vs-answer_B-...-threeclass.jsonl` with
 *   `score` 1 = first system better, 2 = second better, 3 = tie (-1 = unparsed, a bad row); the models come
 *   from the file name, the first named system was shown first. Rows with `system_1`/`system_2`
 *   (the compact QLoRA GPT-4 file) name the systems themselves.
 */
export type VoteFormat = "lmsys" | "counts" | "threeclass";

export interface BadRow {
  line: number;
  field?: string;
  reason: string;
}

export interface VoteFile {
  file: string;
  format: VoteFormat;
  /** Row votes (empty for count files). */
  votes: Vote[];
  /** Line of each vote, parallel to votes. */
  lines: number[];
  /** Aggregated counts (count files only). */
  counts?: PairCounts;
  bad: BadRow[];
}

export interface ReadOptions {
  /** Bad rows become a fatal input error (exit 2) instead of being counted and skipped. */
  strict?: boolean;
}

/** A model name: non-empty text without NUL, control characters or lone surrogates. */
const modelName = z
  .string()
  .trim()
  .min(1, "expected a model name")
  .superRefine((s, ctx) => {
    const why = textDefect(s);
    if (why) ctx.addIssue({ code: "custom", message: `the model name ${why}` });
  });

const rowSchema = z.object({
  model_a: modelName,
  model_b: modelName,
  winner: z.unknown(),
  question_id: z.union([z.string(), z.number()]).optional(),
  prompt_id: z.union([z.string(), z.number()]).optional(),
  judge: z.string().optional(),
  tstamp: z.number().optional(),
  language: z.string().optional(),
  turn: z.number().int().optional(),
  anony: z.boolean().optional(),
  category: z.string().optional(),
  shown_first: z.enum(["model_a", "model_b"]).optional(),
  rationale: z.string().optional(),
});

const threeClassSchema = z.object({
  question_id: z.union([z.string(), z.number()]).optional(),
  score: z.number(),
  system_1: z.string().min(1).optional(),
  system_2: z.string().min(1).optional(),
});

const countsSchema = z.object({
  models: z.array(z.string().min(1)).min(2),
  X: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])),
  Y: z.array(z.array(z.number().min(0)).min(3).max(4)),
});

const THREECLASS_NAME = /^answer_(.+?)-vs-answer_(.+?)-.*threeclass\.jsonl?$/;

export function readVoteFile(path: string, opts: ReadOptions = {}): VoteFile {
  return parseVoteText(readUserText(path, "vote file"), path, opts);
}

export function parseVoteText(text: string, file: string, opts: ReadOptions = {}): VoteFile {
  const trimmed = text.trimStart();
  if (trimmed === "") throw new ModelmapError("input", "vote file is empty", { location: { file } });
  let result: VoteFile;
  if (trimmed.startsWith("{") && /"X"\s*:/.test(trimmed.slice(0, 100_000)) && /"models"\s*:/.test(trimmed)) {
    result = parseCounts(text, file);
  } else {
    let rows: RawRow[];
    if (trimmed.startsWith("[")) {
      try {
        rows = splitJsonArray(text);
      } catch (e) {
        if (e instanceof JsonRowsError)
          throw new ModelmapError("input", e.message, { location: { file, line: e.line } });
        throw e;
      }
    } else {
      rows = splitJsonLines(text);
    }
    const nameMatch = THREECLASS_NAME.exec(basename(file));
    const first = rows[0] ? safeParse(rows[0].text) : undefined;
    const isThreeClass =
      nameMatch !== null || (isRecord(first) && "score" in first && "system_1" in first && "system_2" in first);
    result = isThreeClass ? parseThreeClass(rows, file, nameMatch) : parseBattles(rows, file);
  }
  if (opts.strict && result.bad.length > 0) {
    const b = result.bad[0]!;
    throw new ModelmapError(
      "input",
      `${b.reason} (${result.bad.length} bad row(s) in all; --strict makes them fatal)`,
      {
        location: { file, line: b.line, ...(b.field ? { field: b.field } : {}) },
      },
    );
  }
  if (result.votes.length === 0 && !result.counts) {
    const b = result.bad[0];
    throw new ModelmapError("input", `no valid votes${b ? `; first bad row: line ${b.line}: ${b.reason}` : ""}`, {
      location: { file },
      hint: "expected LMSYS battles (model_a, model_b, winner), aggregated counts (models, X, Y), or threeclass files",
    });
  }
  return result;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseBattles(rows: RawRow[], file: string): VoteFile {
  const out: VoteFile = { file, format: "lmsys", votes: [], lines: [], bad: [] };
  for (const row of rows) {
    const obj = safeParse(row.text);
    if (!isRecord(obj)) {
      out.bad.push({ line: row.line, reason: obj === undefined ? "not valid JSON" : "expected a JSON object" });
      continue;
    }
    const parsed = rowSchema.safeParse(obj);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = fieldPath(issue.path);
      const missing = issue.code === "invalid_type" && obj[field] === undefined;
      out.bad.push({ line: row.line, field, reason: missing ? `missing '${field}'` : `'${field}': ${issue.message}` });
      continue;
    }
    const r = parsed.data;
    const winner = normalizeWinner(r.winner);
    if (!winner) {
      out.bad.push({
        line: row.line,
        field: "winner",
        reason: `unknown winner ${JSON.stringify(r.winner)} (expected model_a, model_b, tie or tie (bothbad))`,
      });
      continue;
    }
    if (r.model_a === r.model_b) {
      out.bad.push({ line: row.line, field: "model_b", reason: `model '${r.model_a}' against itself` });
      continue;
    }
    const v: Vote = { modelA: r.model_a, modelB: r.model_b, winner, shownFirst: r.shown_first ?? "model_a" };
    const pid = r.prompt_id ?? r.question_id;
    if (pid !== undefined) v.promptId = String(pid);
    if (r.judge !== undefined) v.judge = r.judge;
    if (r.tstamp !== undefined) v.tstamp = r.tstamp;
    if (r.language !== undefined) v.language = r.language;
    if (r.turn !== undefined) v.turn = r.turn;
    if (r.anony !== undefined) v.anony = r.anony;
    if (r.category !== undefined) v.category = r.category;
    if (r.rationale !== undefined) v.rationale = r.rationale;
    out.votes.push(v);
    out.lines.push(row.line);
  }
  return out;
}

function parseThreeClass(rows: RawRow[], file: string, nameMatch: RegExpExecArray | null): VoteFile {
  const out: VoteFile = { file, format: "threeclass", votes: [], lines: [], bad: [] };
  for (const row of rows) {
    const obj = safeParse(row.text);
    const parsed = threeClassSchema.safeParse(obj);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      out.bad.push({
        line: row.line,
        field: fieldPath(issue.path),
        reason: obj === undefined ? "not valid JSON" : issue.message,
      });
      continue;
    }
    const r = parsed.data;
    const modelA = r.system_1 ?? nameMatch?.[1];
    const modelB = r.system_2 ?? nameMatch?.[2];
    if (!modelA || !modelB) {
      out.bad.push({ line: row.line, field: "system_1", reason: "models are neither in the row nor in the file name" });
      continue;
    }
    if (modelA === modelB) {
      out.bad.push({ line: row.line, field: "system_2", reason: `model '${modelA}' against itself` });
      continue;
    }
    const winner = r.score === 1 ? "model_a" : r.score === 2 ? "model_b" : r.score === 3 ? "tie" : undefined;
    if (!winner) {
      out.bad.push({ line: row.line, field: "score", reason: `unknown score ${r.score} (expected 1, 2 or 3)` });
      continue;
    }
    const v: Vote = { modelA, modelB, winner, shownFirst: "model_a" };
    if (r.question_id !== undefined) v.promptId = String(r.question_id);
    out.votes.push(v);
    out.lines.push(row.line);
  }
  return out;
}

/**
 * A check that accepts only what `countsSchema` accepts, in a plain loop: zod takes ~200 ms of CPU (most of it
 * allocation and its first compilation) on the 3,460 pairs of the 2024 arena counts, more than the whole
 * ranking. Anything it does not accept goes through the schema, which remains the one that words the error.
 */
function plainCounts(v: unknown): v is z.infer<typeof countsSchema> {
  if (!isRecord(v)) return false;
  const { models, X, Y } = v;
  if (!Array.isArray(models) || models.length < 2 || !Array.isArray(X) || !Array.isArray(Y)) return false;
  for (const m of models) if (typeof m !== "string" || m.length === 0) return false;
  for (const x of X) {
    if (!Array.isArray(x) || x.length !== 2) return false;
    for (const n of x) if (!Number.isSafeInteger(n) || n < 0) return false;
  }
  for (const y of Y) {
    if (!Array.isArray(y) || y.length < 3 || y.length > 4) return false;
    for (const n of y) if (typeof n !== "number" || !Number.isFinite(n) || n < 0) return false;
  }
  return true;
}

function parseCounts(text: string, file: string): VoteFile {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ModelmapError("input", `not valid JSON: ${(e as Error).message}`, { location: { file } });
  }
  let data: z.infer<typeof countsSchema>;
  if (plainCounts(obj)) {
    data = obj;
  } else {
    const parsed = countsSchema.safeParse(obj);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ModelmapError("input", issue.message, { location: { file, field: fieldPath(issue.path) } });
    }
    data = parsed.data;
  }
  const { models, X, Y } = data;
  if (X.length !== Y.length) {
    throw new ModelmapError("input", `X has ${X.length} pairs but Y has ${Y.length} rows`, {
      location: { file, field: "Y" },
    });
  }
  if (new Set(models).size !== models.length)
    throw new ModelmapError("input", "duplicate model names", { location: { file, field: "models" } });
  const counts: PairCounts = { models, pairs: [] };
  for (let r = 0; r < X.length; r++) {
    const [i, j] = X[r]!;
    const y = Y[r]!;
    if (i >= models.length || j >= models.length) {
      throw new ModelmapError("input", `model index out of range (${models.length} models)`, {
        location: { file, field: `X[${r}]` },
      });
    }
    if (i === j)
      throw new ModelmapError("input", `model '${models[i]}' against itself`, { location: { file, field: `X[${r}]` } });
    counts.pairs.push({ i, j, winsI: y[0]!, winsJ: y[1]!, ties: y[2]!, tiesBothbad: y[3] ?? 0 });
  }
  return { file, format: "counts", votes: [], lines: [], counts, bad: [] };
}
