import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Backend } from "../../backends/types.ts";
import type { LoadedConfig } from "../../config/load.ts";
import { runCanary } from "../../contamination/canary.ts";
import { type ContaminationReport, runContamination } from "../../contamination/service.ts";
import { ModelmapError } from "../../core/errors.ts";
import { resolveModel } from "../../models/resolve.ts";
import { modelFromFlags } from "../../models/spec.ts";
import { loadPromptSet } from "../../prompts/load.ts";
import { loadRegistry, resolveDataDir } from "../../runner/service.ts";
import { runSensitivity, type SensitivityReport } from "../../sensitivity/service.ts";
import { DEFAULT_VARIANTS, parseVariant, SYSTEM_PRESETS } from "../../sensitivity/variants.ts";
import { type CliContext, type Command, parseFlags, parseNumberFlag, textOrJson } from "../command.ts";
import { modelContext, optionalConfig, requireConfig } from "../config.ts";

const USAGE = `usage: modelmap contamination (--model ID | --gguf FILE) (--task T | --prompts DIR) [options]

Checks whether a model saw a benchmark's test items in training. Per task: loss/perplexity, zlib ratio, lowercase
ratio, reference-model ratio (with --reference), Min-K% Prob and Min-K%++ (k=20%), the sharded exchangeability
test of Oren et al. 2023 (canonical order vs shuffled orders; p-value), and 13-gram overlap with --corpus.
The report is stored (latest per model and task) for model cards and the map. Results are cached.
  --model ID           a model configured in modelmap.yaml
  --gguf FILE          an ad-hoc GGUF file, run in-process through llama.cpp
  --model-id ID        store the report under this model id (default gguf:FILE for --gguf), e.g. the id the
                       map and cards use for it (npm start names the zoo models zoo-NAME)
  --task T             task, group or tag names, comma-separated (see 'modelmap tasks list')
  --prompts DIR        a prompt set with a canary (e.g. prompts/heldout): canary-completion check
  --reference MODEL    a configured reference model for the reference-model ratio
  --corpus FILE        training corpus (plain text) for 13-gram overlap
  --shards N           exchangeability shards (default 10)
  --permutations N     shuffled orders per shard (default 30)
  --seed N             shuffle seed (default 1234)
  --limit N            only the first N items of each task
  --threads N          CPU threads for --gguf
  --config FILE        modelmap.yaml (default ./modelmap.yaml)
  --data-dir DIR       where datasets are (as for eval)
  --tasks-dir DIR      extra directory of task YAMLs (repeatable)
  --format text|json   output format (default text)`;

function f(x: number | null | undefined, d = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(d);
}

export function contaminationText(r: ContaminationReport): string {
  const lines = [`${r.model} on ${r.task}: ${r.items} items  ${r.flagged ? "FLAGGED as contaminated" : "not flagged"}`];
  for (const [name, m] of Object.entries(r.methods))
    lines.push(
      `  ${name.padEnd(16)} ${f(m.score).padStart(10)}  p=${m.pValue === null ? "-" : f(m.pValue, 6)}${m.note ? `  (${m.note})` : ""}`,
    );
  const e = r.exchangeability;
  lines.push(
    `  exchangeability: ${e.shards} shards x ${e.permutations} orders, mean canonical-shuffled ${f(e.meanDiff)} nats, t=${f(e.t, 2)}`,
  );
  if (r.flaggedItems.length > 0) lines.push(`  flagged items: ${r.flaggedItems.map((i) => i.docId).join(", ")}`);
  const s = r.stats;
  lines.push(
    `  requests ${s.requested} (${s.cached} cached, ${s.sent} sent); tokens evaluated ${s.evaluatedTokens ?? "-"} vs naive ${s.naiveTokens}`,
  );
  return `${lines.join("\n")}\n`;
}

/** Opens `--model ID` or `--gguf FILE`; a configured id needs the config file the command read (or failed to). */
async function open(
  values: { model?: string | undefined; gguf?: string | undefined; threads?: string | undefined },
  config: { loaded: LoadedConfig | undefined; flag: string | undefined },
  ctx: CliContext,
) {
  const threads = parseNumberFlag("contamination", "--threads", values.threads, { int: true, min: 1 });
  const { spec, modelId } = modelFromFlags({ model: values.model, gguf: values.gguf, threads });
  const loaded = spec.kind === "config" ? (config.loaded ?? requireConfig(ctx, config.flag)) : config.loaded;
  return { backend: await resolveModel(spec, modelContext(ctx, loaded)), modelId };
}

export const contaminationCommand: Command = {
  name: "contamination",
  summary: "test-set contamination checks (Min-K%++, exchangeability, n-grams, canary)",
  usage: USAGE,
  async run(argv, ctx) {
    const { values } = parseFlags(
      "contamination",
      argv,
      {
        model: { type: "string" },
        gguf: { type: "string" },
        "model-id": { type: "string" },
        task: { type: "string" },
        prompts: { type: "string" },
        reference: { type: "string" },
        corpus: { type: "string" },
        shards: { type: "string" },
        permutations: { type: "string" },
        seed: { type: "string" },
        limit: { type: "string" },
        threads: { type: "string" },
        config: { type: "string" },
        "data-dir": { type: "string" },
        "tasks-dir": { type: "string", multiple: true },
        format: { type: "string" },
      },
      false,
    );
    const format = textOrJson("contamination", values.format);
    if (values.task === undefined && values.prompts === undefined)
      throw new ModelmapError("usage", "contamination: give --task T and/or --prompts DIR");
    const shards = parseNumberFlag("contamination", "--shards", values.shards, { int: true, min: 2 });
    const permutations = parseNumberFlag("contamination", "--permutations", values.permutations, { int: true, min: 1 });
    const seed = parseNumberFlag("contamination", "--seed", values.seed, { int: true }) ?? 1234;
    const limit = parseNumberFlag("contamination", "--limit", values.limit, { int: true, min: 2 });
    const reg = loadRegistry(values["tasks-dir"] ?? []);
    const tasks = values.task
      ? reg.resolve(
          values.task
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s),
        ).tasks
      : [];
    const set = values.prompts ? loadPromptSet(resolve(ctx.cwd, values.prompts)) : undefined;
    if (set && set.canary === undefined)
      throw new ModelmapError("input", `prompt set ${values.prompts} has no canary`, {
        hint: "add canary: to its _set.yaml",
      });
    const corpus = values.corpus === undefined ? undefined : resolve(ctx.cwd, values.corpus);
    if (corpus !== undefined && !existsSync(corpus))
      throw new ModelmapError("not_found", `contamination: corpus ${corpus} does not exist`, {
        location: { file: corpus },
      });
    const config = { loaded: optionalConfig(ctx, values.config), flag: values.config };
    const dataDir = resolveDataDir(ctx.cwd, values["data-dir"], config.loaded?.config.data_dir, ctx.env);
    const opened = await open(values, config, ctx);
    const { backend } = opened;
    const modelId = values["model-id"] ?? opened.modelId;
    const ref = values.reference !== undefined ? await open({ model: values.reference }, config, ctx) : undefined;
    try {
      const reports: unknown[] = [];
      for (const task of tasks) {
        const r = await runContamination(ctx.store(), backend, {
          modelId,
          task,
          dataDir,
          seed,
          signal: ctx.signal,
          ...(ref ? { reference: { id: ref.modelId, backend: ref.backend } } : {}),
          ...(corpus !== undefined ? { corpus } : {}),
          ...(shards !== undefined ? { shards } : {}),
          ...(permutations !== undefined ? { permutations } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
        reports.push(r);
        if (format === "text") ctx.stdout.write(contaminationText(r));
      }
      if (set?.canary !== undefined) {
        const c = await runCanary(ctx.store(), backend, {
          modelId,
          setName: set.name,
          canary: set.canary,
          seed,
          signal: ctx.signal,
        });
        reports.push(c);
        if (format === "text")
          ctx.stdout.write(
            `${modelId} canary of '${c.set}': logprob ${f(c.logprob, 2)}, p=${f(c.pValue)} among ${c.decoys} decoys, greedy ${c.greedy ? "yes" : "no"}  ${c.flagged ? "FLAGGED" : "not flagged"}\n`,
          );
      }
      if (format === "json") ctx.stdout.write(`${JSON.stringify({ reports }, null, 2)}\n`);
      return 0;
    } finally {
      await backend.close();
      await ref?.backend.close();
    }
  },
};
export const CHECK_COMMANDS: Command[] = [contaminationCommand];

const SENS_USAGE = `usage: modelmap sensitivity (--model ID[,ID...] | --gguf FILE[,FILE...]) --task T [options]

Runs a task under named prompt variants (through the harness: cached, resumable) and reports each variant's score
with its standard error, the spread (min, max, sd), which variants differ significantly from the first (paired
over the same items: McNemar, or a paired bootstrap for non-binary scores), and with several models the rank
stability (Kendall's tau between rankings under each pair of variants). Stored per model and task.
  --model IDS            configured model ids, comma-separated
  --gguf FILES           ad-hoc GGUF files, comma-separated
  --task T               one task name
  --variants LIST        comma-separated (default: ${"chat:off,chat:on,system:helpful,labels:A.,labels:(A),labels:1.,delimiter:newline"})
                         chat:on|off  system:none|default|helpful|concise|NAME (config system_prompts)
                         fewshot:block|turns  labels:A.|(A)|1.  delimiter:space|newline|none
  --limit N              only the first N documents
  --num-fewshot N        override the task's num_fewshot
  --seed N               seed (default 1234)
  --threads N            CPU threads for --gguf
  --config FILE          modelmap.yaml
  --data-dir DIR         where datasets are
  --tasks-dir DIR        extra directory of task YAMLs (repeatable)
  --format text|json     output format (default text)`;

export function sensitivityText(r: SensitivityReport): string {
  const lines: string[] = [];
  for (const m of r.models) {
    lines.push(
      `${m.model} on ${m.task}: spread ${f(m.spread.min, 3)}..${f(m.spread.max, 3)} (range ${f(m.spread.range, 3)}, sd ${f(m.spread.sd, 3)})`,
    );
    for (const v of m.variants) {
      if (v.error !== undefined) {
        lines.push(`  ${v.variant.padEnd(20)} error: ${v.error}`);
        continue;
      }
      const vs = v.vsBaseline
        ? `  vs first ${v.vsBaseline.diff >= 0 ? "+" : ""}${f(v.vsBaseline.diff, 3)} p=${f(v.vsBaseline.pValue, 4)}${v.vsBaseline.significant ? " *" : ""}`
        : "  (baseline)";
      lines.push(`  ${v.variant.padEnd(20)} ${f(v.score, 4)} ± ${f(v.stderr, 4)}  n=${v.n}${vs}`);
    }
  }
  if (r.rankStability)
    lines.push(
      `rank stability: mean Kendall tau ${f(r.rankStability.meanTau, 3)} over ${r.rankStability.pairs.length} variant pairs`,
    );
  return `${lines.join("\n")}\n`;
}

export const sensitivityCommand: Command = {
  name: "sensitivity",
  summary: "prompt-sensitivity report: scores under template/system/few-shot/label/delimiter variants",
  usage: SENS_USAGE,
  async run(argv, ctx) {
    const { values } = parseFlags(
      "sensitivity",
      argv,
      {
        model: { type: "string" },
        gguf: { type: "string" },
        task: { type: "string" },
        variants: { type: "string" },
        limit: { type: "string" },
        "num-fewshot": { type: "string" },
        seed: { type: "string" },
        threads: { type: "string" },
        config: { type: "string" },
        "data-dir": { type: "string" },
        "tasks-dir": { type: "string", multiple: true },
        format: { type: "string" },
      },
      false,
    );
    const format = textOrJson("sensitivity", values.format);
    const taskName = values.task;
    if (!taskName) throw new ModelmapError("usage", "sensitivity: --task is required");
    const ids = (values.model ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s);
    const files = (values.gguf ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s);
    if (ids.length + files.length === 0)
      throw new ModelmapError("usage", "sensitivity: give --model IDS or --gguf FILES");
    const limit = parseNumberFlag("sensitivity", "--limit", values.limit, { int: true, min: 1 });
    const numFewshot = parseNumberFlag("sensitivity", "--num-fewshot", values["num-fewshot"], { int: true, min: 0 });
    const seed = parseNumberFlag("sensitivity", "--seed", values.seed, { int: true }) ?? 1234;
    const variants = values.variants
      ? values.variants
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s)
      : DEFAULT_VARIANTS;
    const reg = loadRegistry(values["tasks-dir"] ?? []);
    const tasks = reg.resolve([taskName]).tasks;
    const task = tasks[0];
    if (!task || tasks.length !== 1)
      throw new ModelmapError("usage", `sensitivity: --task names one task ('${taskName}' is ${tasks.length})`);
    const loaded = optionalConfig(ctx, values.config);
    const config = { loaded, flag: values.config };
    const systemPrompts = { ...SYSTEM_PRESETS, ...(loaded?.config.system_prompts ?? {}) };
    // Validate every variant before opening any model.
    for (const v of variants) parseVariant(v, { ...systemPrompts, default: "" });
    const dataDir = resolveDataDir(ctx.cwd, values["data-dir"], loaded?.config.data_dir, ctx.env);
    const opened: Array<{ id: string; backend: Backend; systemPrompts?: Record<string, string> }> = [];
    try {
      for (const id of ids) {
        const m = await open({ model: id }, config, ctx);
        const def = loaded?.config.models.find((x) => x.id === id)?.default_system_prompt;
        opened.push({
          id: m.modelId,
          backend: m.backend,
          ...(def !== undefined ? { systemPrompts: { default: def } } : {}),
        });
      }
      for (const g of files) {
        const m = await open({ gguf: g, threads: values.threads }, config, ctx);
        opened.push({ id: m.modelId, backend: m.backend });
      }
      const report = await runSensitivity(ctx.store(), opened, {
        task,
        dataDir,
        variants,
        systemPrompts,
        seed,
        signal: ctx.signal,
        ...(limit !== undefined ? { limit } : {}),
        ...(numFewshot !== undefined ? { numFewshot } : {}),
      });
      ctx.stdout.write(format === "json" ? `${JSON.stringify(report, null, 2)}\n` : sensitivityText(report));
      return 0;
    } finally {
      for (const m of opened) await m.backend.close();
    }
  },
};

CHECK_COMMANDS.push(sensitivityCommand);
