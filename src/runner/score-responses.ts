/**
 * Scores responses that were generated elsewhere (another harness's samples, a stored run, a user's own tool)
 * with a task's own filters and metrics, without a model: `modelmap score --task TASK --responses FILE`.
 *
 * A responses file is JSONL, one object per document with its `response` and the document's key: `doc_id` (the
 * document's index in the task's evaluated split) for generation tasks, or for IFEval its `key` or its `prompt`
 * text (as IFEval's reference joins responses to prompts). Every line is checked before anything is scored: a
 * bad line is an input error naming the file, line and field, and nothing is written.
 *
 * IFEval (`ifeval`, `leaderboard_ifeval`) is scored by its native hooks; other `generate_until` tasks of the task
 * registry by their filters and `exact_match`, as an evaluation would score them.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import { aggInstLevelAcc, type IfevalDoc, IfevalDocSchema, ifevalProcessResults } from "../tasks/ifeval/evaluate.ts";
import type { LoadedTask, TaskRegistry } from "../tasks/loader.ts";
import { openPrompter } from "../tasks/task-data.ts";
import type { RequestOutcome } from "./execute.ts";
import { TaskAccumulator } from "./results.ts";
import { scoreDoc } from "./score.ts";

export const IFEVAL_TASKS = ["ifeval", "leaderboard_ifeval"] as const;

/** Where IFEval's prompts are read from, under the data directory. */
export const IFEVAL_DOCS = "ifeval/input_data.jsonl";

export interface ScoredDocument {
  /** How the line named its document: `key`/`prompt` for IFEval, `doc_id` otherwise. */
  id: Record<string, string | number>;
  /** Per-metric values for this document (lm-eval's `process_results` output). */
  metrics: Record<string, unknown>;
}

export interface ScoreOutcome {
  task: string;
  documents: ScoredDocument[];
  /** Aggregated metrics, as lm-eval reports them (`metric,filter` -> value). */
  results: Record<string, number>;
}

const Line = z.object({ response: z.string() }).passthrough();

interface ResponseLine {
  line: number;
  row: Record<string, unknown>;
  response: string;
}

function readResponses(file: string): ResponseLine[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ModelmapError("not_found", `cannot read responses file: ${(e as Error).message}`, {
      location: { file },
    });
  }
  const out: ResponseLine[] = [];
  text.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    const line = i + 1;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (e) {
      throw new ModelmapError("input", `not JSON: ${(e as Error).message}`, { location: { file, line } });
    }
    const parsed = Line.safeParse(row);
    if (!parsed.success)
      throw new ModelmapError("input", "expected an object with a string 'response'", {
        location: { file, line, field: "response" },
      });
    out.push({ line, row: parsed.data, response: parsed.data.response });
  });
  if (out.length === 0) throw new ModelmapError("input", "no responses in file", { location: { file } });
  return out;
}

function readIfevalDocs(file: string): IfevalDoc[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ModelmapError("not_found", `IFEval prompts not found: ${file}`, {
      hint: "give the data directory that holds ifeval/input_data.jsonl (--data-dir), or --docs FILE",
    });
  }
  return text
    .split("\n")
    .map((raw, i) => ({ raw, line: i + 1 }))
    .filter(({ raw }) => raw.trim() !== "")
    .map(({ raw, line }) => {
      const parsed = IfevalDocSchema.safeParse(JSON.parse(raw));
      if (!parsed.success)
        throw new ModelmapError("input", parsed.error.issues[0]?.message ?? "not an IFEval prompt", {
          location: { file, line, field: parsed.error.issues[0]?.path.join(".") ?? "" },
        });
      return parsed.data;
    });
}

/** IFEval: join each line to its prompt by `key`, else by `prompt` text, and score strictly and loosely. */
export function scoreIfeval(task: string, responsesFile: string, docsFile: string): ScoreOutcome {
  const docs = readIfevalDocs(docsFile);
  const byKey = new Map(docs.filter((d) => d.key !== undefined).map((d) => [d.key as number, d]));
  const byPrompt = new Map(docs.map((d) => [d.prompt, d]));
  const lines = readResponses(responsesFile);
  const joined = lines.map(({ line, row, response }) => {
    const key = row["key"];
    const prompt = row["prompt"];
    let doc: IfevalDoc | undefined;
    if (key !== undefined) {
      doc = typeof key === "number" ? byKey.get(key) : undefined;
      if (!doc)
        throw new ModelmapError("input", `no IFEval prompt has key ${JSON.stringify(key)}`, {
          location: { file: responsesFile, line, field: "key" },
        });
    } else if (typeof prompt === "string") {
      doc = byPrompt.get(prompt);
      if (!doc)
        throw new ModelmapError("input", "no IFEval prompt has this text", {
          location: { file: responsesFile, line, field: "prompt" },
          hint: "the prompt must equal one of input_data.jsonl's prompts character for character, or give its key",
        });
    } else
      throw new ModelmapError("input", "each line needs the prompt's 'key' (a number) or its 'prompt' text", {
        location: { file: responsesFile, line, field: "key" },
      });
    return { doc, response };
  });
  const scores = joined.map(({ doc, response }) => ifevalProcessResults(doc, response));
  const documents = joined.map(({ doc }, i) => ({
    id: { ...(doc.key === undefined ? {} : { key: doc.key }), prompt: doc.prompt },
    metrics: { ...scores[i] },
  }));
  const mean = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
  return {
    task,
    documents,
    results: {
      "prompt_level_strict_acc,none": mean(scores.map((s) => s.prompt_level_strict_acc)),
      "inst_level_strict_acc,none": aggInstLevelAcc(scores.map((s) => s.inst_level_strict_acc)),
      "prompt_level_loose_acc,none": mean(scores.map((s) => s.prompt_level_loose_acc)),
      "inst_level_loose_acc,none": aggInstLevelAcc(scores.map((s) => s.inst_level_loose_acc)),
    },
  };
}

/** A generation task of the registry: each line's `doc_id` indexes the evaluated split; filters and exact_match. */
export async function scoreGenerationTask(
  task: LoadedTask,
  responsesFile: string,
  dataDir: string,
): Promise<ScoreOutcome> {
  if ((task.config.output_type ?? "generate_until") !== "generate_until")
    throw new ModelmapError(
      "usage",
      `task '${task.name}' is ${task.config.output_type}: only generation tasks can be scored from responses`,
    );
  // Scoring reads only the target and the filters; the prompt (and its few-shot examples) is not rebuilt.
  const { data, prompter } = await openPrompter(
    task,
    { dataDir },
    {
      chatTemplate: false,
      fewshotAsMultiturn: false,
      seed: 1234,
      numFewshot: 0,
    },
  );
  const docs = await data.split(data.evalSplit);
  const lines = readResponses(responsesFile);
  const seen = new Set<number>();
  const work = lines.map(({ line, row, response }) => {
    const id = row["doc_id"];
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= docs.length)
      throw new ModelmapError(
        "input",
        `doc_id must be an integer in 0..${docs.length - 1}, got ${JSON.stringify(id)}`,
        {
          location: { file: responsesFile, line, field: "doc_id" },
        },
      );
    if (seen.has(id))
      throw new ModelmapError("input", `doc_id ${id} appears twice`, {
        location: { file: responsesFile, line, field: "doc_id" },
      });
    seen.add(id);
    return { id, response };
  });
  // Aggregated as an evaluation aggregates them (each metric's own aggregation: means, bleu, f1, hooks).
  const acc = new TaskAccumulator(task, 0, 0);
  const documents: ScoredDocument[] = [];
  for (const { id, response } of work) {
    const doc = docs[id] as Record<string, unknown>;
    const inst = await prompter.instance(doc, id);
    const outcome: RequestOutcome = { ok: true, value: { text: response, finishReason: "stop" }, ms: 0, cached: false };
    const scored = scoreDoc(task, inst, ["r"], new Map([["r", outcome]]), doc);
    acc.add(scored);
    // One generation per document: each filter's answer without its per-request list.
    const filtered = Object.fromEntries(Object.entries(scored.sample.filteredResps).map(([f, v]) => [f, v[0]]));
    const values = Object.fromEntries(scored.items.map((it) => [`${it.metric},${it.filter}`, it.value]));
    documents.push({
      id: { doc_id: id },
      metrics: { ...values, filtered_resps: filtered, ...(scored.error === null ? {} : { error: scored.error }) },
    });
  }
  const results: Record<string, number> = {};
  for (const r of acc.rows()) if (r.value !== null) results[`${r.metric},${r.filter}`] = r.value;
  return { task: task.name, documents, results };
}

export interface ScoreRequest {
  task: string;
  responsesFile: string;
  dataDir: string;
  /** IFEval's prompts file; default `<dataDir>/ifeval/input_data.jsonl`. */
  docsFile?: string;
  registry: () => TaskRegistry;
}

export async function scoreResponses(req: ScoreRequest): Promise<ScoreOutcome> {
  if ((IFEVAL_TASKS as readonly string[]).includes(req.task))
    return scoreIfeval(req.task, req.responsesFile, req.docsFile ?? `${req.dataDir}/${IFEVAL_DOCS}`);
  const task = req.registry().tasks.get(req.task);
  if (!task)
    throw new ModelmapError("not_found", `unknown task '${req.task}'`, {
      hint: `IFEval is ${IFEVAL_TASKS.join(" or ")}; 'modelmap tasks list' lists the others`,
    });
  return scoreGenerationTask(task, req.responsesFile, req.dataDir);
}
