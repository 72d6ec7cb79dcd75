import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Backend } from "../../backends/types.ts";
import type { Config } from "../../config/schema.ts";
import { ModelmapError } from "../../core/errors.ts";
import { checkOutputFile, writeUserFile } from "../../core/files.ts";
import { importAnswers } from "../../judge/answers-import.ts";
import { generateAnswers } from "../../judge/generate.ts";
import { judgeSet } from "../../judge/judge.ts";
import { formatRate, judgeStats } from "../../judge/judge-stats.ts";
import { resolvePromptSet, storePromptSet } from "../../judge/prompt-sets.ts";
import { REFERENCE_JUDGE_ID, referenceMatchJudge } from "../../judge/reference-match.ts";
import { contextSizes } from "../../models/context-size.ts";
import { resolveModel } from "../../models/resolve.ts";
import { parseModelRef } from "../../models/spec.ts";
import { IMPORT_FORMATS, type ImportFormat } from "../../prompts/importers.ts";
import { loadPromptSet, toJsonl } from "../../prompts/load.ts";
import { contextShortfall, failureLines, groupFailures } from "../../runner/failures.ts";
import { createProgress, type ProgressSink, progressCallback, SILENT_PROGRESS } from "../../runner/progress.ts";
import { type CliContext, type Command, parseFlags, parseNumberFlag, requireString, splitList } from "../command.ts";
import { modelContext, optionalConfig, requireConfig } from "../config.ts";

function categoryTable(items: Array<{ category: string; reference?: unknown }>): string {
  const by = new Map<string, { n: number; refs: number }>();
  for (const i of items) {
    const c = by.get(i.category) ?? { n: 0, refs: 0 };
    c.n++;
    if (i.reference !== undefined && i.reference !== null) c.refs++;
    by.set(i.category, c);
  }
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([cat, c]) =>
        `  ${cat.padEnd(20)} ${String(c.n).padStart(4)} prompts  ${String(c.refs).padStart(4)} with reference`,
    )
    .join("\n");
}

const promptsCheck: Command = {
  name: "prompts check",
  summary: "validate a prompt set (file or folder) and show its categories",
  usage: `usage: modelmap prompts check PATH [--format auto|native|mt-bench|arena-hard]

Validates a prompt set without storing it; errors name the file, line and field.`,
  run(argv, ctx) {
    const { values, positionals } = parseFlags("prompts check", argv, { format: { type: "string" } });
    const path = requireString("prompts check", positionals[0], "PATH");
    const set = loadPromptSet(resolve(ctx.cwd, path), { format: parseFormat(values.format) });
    ctx.stdout.write(
      `${set.name}: ${set.items.length} prompts, ${set.secret ? "secret" : "public"}, canary ${set.canary ? "present" : "none"}, content ${set.contentHash.slice(0, 12)}\n${categoryTable(set.items)}\n`,
    );
    return 0;
  },
};

/** `--prompts` names a stored set, or a file or folder relative to the working directory. */
function setPath(cwd: string, ref: string): string {
  const p = resolve(cwd, ref);
  return existsSync(p) ? p : ref;
}

function parseFormat(v: string | undefined): ImportFormat | "auto" {
  if (v === undefined || v === "auto") return "auto";
  if ((IMPORT_FORMATS as string[]).includes(v)) return v as ImportFormat;
  throw new ModelmapError("usage", `--format expects auto, ${IMPORT_FORMATS.join(", ")}; got '${v}'`);
}

const promptsImport: Command = {
  name: "prompts import",
  summary: "store a prompt set (own YAML/JSONL, MT-bench, Vicuna-bench, Arena-Hard) in the database",
  usage: `usage: modelmap prompts import PATH [--name NAME] [--format auto|native|mt-bench|arena-hard] [--secret] [--out FILE.jsonl]

Loads a prompt set and stores it under NAME (default: the set's own name). Public question files
(MT-bench / Vicuna-bench question.jsonl with references joined from the sibling reference file,
Arena-Hard question.jsonl) are detected automatically.
  --name NAME    name to store the set under
  --format F     force the input format (default auto)
  --secret       mark the set secret: its prompts are shown only to admins
  --out FILE     also write the set as native JSONL`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("prompts import", argv, {
      name: { type: "string" },
      format: { type: "string" },
      secret: { type: "boolean" },
      out: { type: "string" },
    });
    const path = requireString("prompts import", positionals[0], "PATH");
    // Before storing: a set stored whose --out then fails would be half done.
    if (values.out) checkOutputFile(resolve(ctx.cwd, values.out), "--out");
    const opts: { format: ImportFormat | "auto"; name?: string } = { format: parseFormat(values.format) };
    if (values.name !== undefined) opts.name = values.name;
    const set = loadPromptSet(resolve(ctx.cwd, path), opts);
    if (values.secret) set.secret = true;
    const stored = await storePromptSet(await ctx.store(), set);
    if (values.out) writeUserFile(resolve(ctx.cwd, values.out), toJsonl(set), "--out");
    ctx.stdout.write(
      `stored prompt set '${stored.name}': ${stored.items.length} prompts${set.secret ? " (secret)" : ""}\n`,
    );
    return 0;
  },
};

const promptsList: Command = {
  name: "prompts list",
  summary: "list stored prompt sets",
  usage: "usage: modelmap prompts list\n",
  async run(argv, ctx) {
    parseFlags("prompts list", argv, {}, false);
    const sets = await (await ctx.store()).judging.listPromptSets();
    if (sets.length === 0) ctx.stdout.write("no prompt sets stored (modelmap prompts import PATH)\n");
    for (const s of sets) {
      ctx.stdout.write(
        `${s.name.padEnd(24)} ${String(s.items).padStart(5)} prompts  ${s.secret ? "secret" : "public"}  ${s.origin ?? ""}\n`,
      );
    }
    return 0;
  },
};

/**
 * Opens `--models`/`--judge` entries: NAME@URL, or ids in modelmap.yaml (read once, and only when an entry
 * names a configured model).
 */
async function openModels(
  ctx: CliContext,
  refs: string[],
  configFlag: string | undefined,
): Promise<Map<string, Backend>> {
  const parsed = refs.map(parseModelRef);
  const config = parsed.some((p) => p.spec.kind === "config") ? requireConfig(ctx, configFlag) : undefined;
  const out = new Map<string, Backend>();
  for (const { id, spec } of parsed) {
    const backend = await resolveModel(spec, modelContext(ctx, config));
    if (out.has(id)) throw new ModelmapError("usage", `model '${id}' is listed twice`);
    out.set(id, backend);
  }
  return out;
}

/** The progress sink of a command: a bar on a terminal, plain lines otherwise, nothing with --quiet. */
function cliProgress(ctx: CliContext, quiet: boolean | undefined): ProgressSink {
  return quiet ? SILENT_PROGRESS : createProgress(ctx.stderr);
}

async function closeAll(backends: Iterable<Backend>): Promise<void> {
  for (const b of backends) await b.close();
}

const generate: Command = {
  name: "generate",
  summary: "answer a prompt set with one or more models (multi-turn, stored, resumable)",
  usage: `usage: modelmap generate --models A,B,... --prompts SET [--config FILE] [--seed N] [--max-tokens N] [--temperature T] [--system TEXT] [--limit N]

Answers every prompt of SET with every model. Each turn sees the model's earlier answers. Sampling
depends on the category (greedy for math, coding, extraction, classification, closed QA...; 0.3 for
knowledge-like; 0.7 for creative). Finished answers are stored under a content key, so rerunning the
same command resumes; failed answers are recorded and retried next time.
  --models LIST      comma-separated models: ids from modelmap.yaml, or NAME@http://host:port/v1
                     (a model behind any OpenAI-compatible server)
  --config FILE      modelmap.yaml (default ./modelmap.yaml)
  --prompts SET      a stored set name, or a path to a set file or folder (stored on first use)
  --seed N           sampling seed (per prompt derived from it; default 0)
  --max-tokens N     per turn (default 1024)
  --temperature T    override the per-category temperature
  --system TEXT      system prompt for every conversation
  --limit N          only the first N prompts of the set
  --quiet            no progress output

Failures are counted by reason (e.g. "prompt longer than the model's context (1501 > 96 tokens)"), with the
first failure's full message; the command then exits 1.`,
  async run(argv, ctx) {
    const { values } = parseFlags("generate", argv, {
      models: { type: "string" },
      config: { type: "string" },
      prompts: { type: "string" },
      seed: { type: "string" },
      "max-tokens": { type: "string" },
      temperature: { type: "string" },
      system: { type: "string" },
      limit: { type: "string" },
      quiet: { type: "boolean" },
    });
    const specs = splitList(requireString("generate", values.models, "--models"));
    const setRef = requireString("generate", values.prompts, "--prompts");
    const seed = parseNumberFlag("generate", "--seed", values.seed, { int: true }) ?? 0;
    const maxTokens = parseNumberFlag("generate", "--max-tokens", values["max-tokens"], { int: true, min: 1 }) ?? 1024;
    const temperature = parseNumberFlag("generate", "--temperature", values.temperature, { min: 0, max: 2 });
    const limit = parseNumberFlag("generate", "--limit", values.limit, { int: true, min: 1 });
    const store = await ctx.store();
    const set = await resolvePromptSet(store, setPath(ctx.cwd, setRef));
    const backends = await openModels(ctx, specs, values.config);
    try {
      const opts: Parameters<typeof generateAnswers>[0] = {
        store,
        setName: set.name,
        items: limit === undefined ? set.items : set.items.slice(0, limit),
        backends,
        seed,
        maxTokens,
        signal: ctx.signal,
        onProgress: progressCallback(cliProgress(ctx, values.quiet), `generate ${set.name}`),
      };
      if (temperature !== undefined) opts.override = { temperature };
      if (values.system !== undefined) opts.systemPrompt = values.system;
      const s = await generateAnswers(opts);
      ctx.stdout.write(
        `generate ${set.name}: ${s.total} answers (${s.generated} generated, ${s.resumed} already stored, ${s.failed} failed)\n`,
      );
      for (const model of backends.keys()) {
        const mine = s.failures.filter((f) => f.model === model);
        for (const line of failureLines(groupFailures(mine.map((f) => ({ message: f.error })))))
          ctx.stderr.write(`  ${model}: ${line}\n`);
      }
      return s.failed > 0 ? 1 : 0;
    } finally {
      await closeAll(backends.values());
    }
  },
};

async function printStats(ctx: Parameters<Command["run"]>[1], judge: string, setName?: string): Promise<void> {
  const st = await judgeStats(await ctx.store(), judge, setName);
  ctx.stdout.write(
    [
      `judge ${judge}${setName ? ` on ${setName}` : ""}: ${st.pairwiseJudgments} pairwise, ${st.singleJudgments} single judgments`,
      `  unparseable verdicts          ${formatRate(st.unparseable)}`,
      `  consistency under swapping    ${formatRate(st.consistency)}`,
      `  first-position win rate       ${formatRate(st.firstPositionWinRate)}`,
      `  tie rate                      ${formatRate(st.tieRate)}`,
      `  longer answer wins            ${formatRate(st.longerAnswerWinRate)}`,
      ...st.meanGrade.map((g) => `  mean grade ${g.model.padEnd(18)} ${g.mean.toFixed(2)} (n=${g.n})`),
      "",
    ].join("\n"),
  );
}

const judge: Command = {
  name: "judge",
  summary: "judge stored answers with an LLM: pairwise in both orders and 1-10 grades",
  usage: `usage: modelmap judge --judge MODEL --prompts SET --models A,B,... [--config FILE] [--baseline M] [--no-pairwise] [--no-single] [--seed N] [--max-tokens N]

Judges the stored answers (run 'modelmap generate' first). Every pair of models is judged in both
orders; an outcome that flips with the order is recorded as a tie. Every answer also gets a 1-10 grade.
Math, coding, reasoning and other checkable categories are judged against the prompt's reference.
Unparseable verdicts are stored with the raw text; a pair with one makes no vote. Each judged pair
becomes one vote (source judge:SET) that 'modelmap rank' reads. Reruns resume.
  --judge MODEL      judge model: an id from modelmap.yaml, or NAME@http://host:port/v1, or
                     reference-match (no model: compares each answer with the prompt's reference answer;
                     judges only prompts that have one)
  --config FILE      modelmap.yaml (default ./modelmap.yaml)
  --prompts SET      stored set name or path
  --models LIST      models whose answers to compare
  --baseline M       only pairs that include model M (win rate against a baseline)
  --no-pairwise      skip pairwise judging
  --no-single        skip single-answer grading
  --seed N           seed of the shown-order randomization (default 0)
  --max-tokens N     judge output limit (default 1024)
  --quiet            no progress output

Failed calls are counted by reason with the first failure's full message. A judge whose context is too small
for the judge prompts is named with the room it needs, and the configured models whose context fits.`,
  async run(argv, ctx) {
    const { values } = parseFlags("judge", argv, {
      judge: { type: "string" },
      config: { type: "string" },
      prompts: { type: "string" },
      models: { type: "string" },
      baseline: { type: "string" },
      pairwise: { type: "boolean" },
      single: { type: "boolean" },
      seed: { type: "string" },
      "max-tokens": { type: "string" },
      quiet: { type: "boolean" },
    });
    const judgeSpec = requireString("judge", values.judge, "--judge");
    const models = splitList(requireString("judge", values.models, "--models"));
    const setRef = requireString("judge", values.prompts, "--prompts");
    if (values.baseline !== undefined && !models.includes(values.baseline)) {
      throw new ModelmapError("usage", `judge: --baseline ${values.baseline} is not one of --models`);
    }
    const store = await ctx.store();
    const set = await resolvePromptSet(store, setPath(ctx.cwd, setRef));
    const referee = judgeSpec === REFERENCE_JUDGE_ID ? referenceMatchJudge : undefined;
    const judgeRef = referee ? undefined : parseModelRef(judgeSpec);
    const id = judgeRef?.id ?? REFERENCE_JUDGE_ID;
    const config = judgeRef?.spec.kind === "config" ? requireConfig(ctx, values.config) : undefined;
    const backend = judgeRef ? await resolveModel(judgeRef.spec, modelContext(ctx, config)) : undefined;
    try {
      const opts: Parameters<typeof judgeSet>[0] = {
        store,
        judge: referee ?? (backend as Backend),
        judgeId: id,
        setName: set.name,
        items: set.items,
        models: models.map((m) => (m.includes("@") ? m.slice(0, m.indexOf("@")) : m)),
        pairwise: values.pairwise ?? true,
        single: values.single ?? true,
        seed: parseNumberFlag("judge", "--seed", values.seed, { int: true }) ?? 0,
        maxTokens: parseNumberFlag("judge", "--max-tokens", values["max-tokens"], { int: true, min: 1 }) ?? 1024,
        signal: ctx.signal,
        onProgress: progressCallback(cliProgress(ctx, values.quiet), `judge ${id}`),
      };
      if (values.baseline !== undefined) opts.baseline = values.baseline;
      const s = await judgeSet(opts);
      ctx.stdout.write(
        `judged ${set.name}: ${s.pairwiseCalls} pairwise + ${s.singleCalls} single calls, ${s.resumed} already stored, ${s.unparseable} unparseable, ${s.failed} failed, ${s.votesAdded} votes added (${s.inconsistent} order flips recorded as ties), ${s.missingAnswers} missing answers${s.skipped ? `, ${s.skipped} prompts without a reference skipped` : ""}\n`,
      );
      const groups = groupFailures(s.failures);
      for (const line of failureLines(groups)) ctx.stderr.write(`  ${line}\n`);
      const short = contextShortfall(groups);
      if (short)
        ctx.stderr.write(`  ${judgeFitHint(id, short, (config ?? configForHint(ctx, values.config))?.config)}\n`);
      await printStats(ctx, id, set.name);
      return s.failed > 0 ? 1 : 0;
    } finally {
      await backend?.close();
    }
  },
};

/** modelmap.yaml when there is a readable one: only for naming models in a hint, so a broken file is no error. */
function configForHint(ctx: CliContext, flag: string | undefined) {
  try {
    return optionalConfig(ctx, flag);
  } catch {
    return undefined;
  }
}

/** Which configured models could read the judge prompts that did not fit `judge`'s context. */
export function judgeFitHint(
  judge: string,
  short: { needed: number; holds: number },
  config: Config | undefined,
): string {
  const sizes = config ? contextSizes(config).filter((m) => m.id !== judge) : [];
  const fit = sizes.filter((m) => m.tokens !== undefined && m.tokens >= short.needed);
  const unknown = sizes.filter((m) => m.tokens === undefined);
  const parts = [
    `judge '${judge}' reads ${short.holds} tokens; the judge prompts need up to ${short.needed} (prompt, answers and rubric).`,
    fit.length
      ? `Configured models whose context fits: ${fit.map((m) => `${m.id} (${m.tokens})`).join(", ")}.`
      : `No configured model has a known context of ${short.needed}+ tokens${unknown.length ? ` (unknown for servers: ${unknown.map((m) => m.id).join(", ")})` : ""}.`,
    `Prompts with reference answers can be judged without a model: --judge ${REFERENCE_JUDGE_ID}.`,
  ];
  return parts.join(" ");
}

const judgeStatsCommand: Command = {
  name: "judge stats",
  summary: "a judge's consistency under swapping, position and length bias",
  usage: `usage: modelmap judge stats --judge NAME [--prompts SET]

  --judge NAME    the judge id as stored on its votes
  --prompts SET   only judgments on this stored set`,
  async run(argv, ctx) {
    const { values } = parseFlags("judge stats", argv, { judge: { type: "string" }, prompts: { type: "string" } });
    await printStats(ctx, requireString("judge stats", values.judge, "--judge"), values.prompts);
    return 0;
  },
};

const answersImport: Command = {
  name: "answers import",
  summary: "import answers in FastChat's model_answer JSONL (MT-bench, Arena-Hard baselines) into a stored set",
  usage: `usage: modelmap answers import FILE --prompts SET [--model NAME]

Stores each row's turns as the answer of its model (model_id, or --model) to the matching prompt of SET
(question ids as is, or with the mtbench-/vicuna- prefix of the question importers). Imported answers are
judged and labelled like generated ones.
  --prompts SET   stored prompt set the answers belong to
  --model NAME    model name to store them under (default: each row's model_id)`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("answers import", argv, {
      prompts: { type: "string" },
      model: { type: "string" },
    });
    const file = resolve(ctx.cwd, requireString("answers import", positionals[0], "FILE"));
    const opts: { file: string; setName: string; model?: string } = {
      file,
      setName: requireString("answers import", values.prompts, "--prompts"),
    };
    if (values.model !== undefined) opts.model = values.model;
    const r = await importAnswers(await ctx.store(), opts);
    ctx.stdout.write(
      `imported ${r.imported} answers of ${r.model} into ${opts.setName}${r.unmatched.length ? ` (${r.unmatched.length} rows match no prompt)` : ""}\n`,
    );
    return 0;
  },
};

export const JUDGING_COMMANDS: Command[] = [
  answersImport,
  promptsCheck,
  promptsImport,
  promptsList,
  generate,
  judge,
  judgeStatsCommand,
];
