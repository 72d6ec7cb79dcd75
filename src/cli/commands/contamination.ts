import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { LoadedConfig } from "../../config/load.ts";
import { runCanary } from "../../contamination/canary.ts";
import { type ContaminationReport, runContamination } from "../../contamination/service.ts";
import { ModelmapError } from "../../core/errors.ts";
import { pText } from "../../core/format.ts";
import { resolveModel } from "../../models/resolve.ts";
import { modelFromFlags } from "../../models/spec.ts";
import { loadPromptSet } from "../../prompts/load.ts";
import { createProgress, SILENT_PROGRESS } from "../../runner/progress.ts";
import { loadRegistry, resolveDataDir } from "../../runner/service.ts";
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
  --format text|json   output format (default text)
  --quiet              no progress output`;

/** A number to `d` decimals, or "-" when there is none. */
export function f(x: number | null | undefined, d = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(d);
}

export function contaminationText(r: ContaminationReport): string {
  const lines = [`${r.model} on ${r.task}: ${r.items} items  ${r.flagged ? "FLAGGED as contaminated" : "not flagged"}`];
  for (const [name, m] of Object.entries(r.methods))
    lines.push(
      `  ${name.padEnd(16)} ${f(m.score).padStart(10)}  ${m.pValue === null ? "p=-" : pText(m.pValue)}${m.note ? `  (${m.note})` : ""}`,
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

/** The config a check command read (or found missing) and the --config flag that named it. */
export interface CommandConfig {
  loaded: LoadedConfig | undefined;
  flag: string | undefined;
}

/**
 * Opens the model under check (a configured id or a GGUF file); shared with `sensitivity`. A configured id
 * needs the config file: its absence is the error then.
 */
export async function openCheckModel(
  values: {
    model?: string | undefined;
    gguf?: string | undefined;
    threads?: string | undefined;
    /** A GGUF opens with the chat template from its header (sensitivity's chat variants need it). */
    chatTemplate?: boolean;
  },
  config: CommandConfig,
  ctx: CliContext,
) {
  const threads = parseNumberFlag("contamination", "--threads", values.threads, { int: true, min: 1 });
  const { spec, modelId } = modelFromFlags({
    model: values.model,
    gguf: values.gguf,
    threads,
    chatTemplate: values.chatTemplate,
  });
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
        quiet: { type: "boolean" },
      },
      false,
    );
    const format = textOrJson("contamination", values.format);
    const progress = values.quiet ? SILENT_PROGRESS : createProgress(ctx.stderr);
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
    const config: CommandConfig = { loaded: optionalConfig(ctx, values.config), flag: values.config };
    const dataDir = resolveDataDir(ctx.cwd, values["data-dir"], config.loaded?.config.data_dir, ctx.env);
    const opened = await openCheckModel(values, config, ctx);
    const { backend } = opened;
    const modelId = values["model-id"] ?? opened.modelId;
    const ref =
      values.reference !== undefined ? await openCheckModel({ model: values.reference }, config, ctx) : undefined;
    try {
      const reports: unknown[] = [];
      for (const task of tasks) {
        const r = await runContamination(await ctx.store(), backend, {
          modelId,
          task,
          dataDir,
          seed,
          signal: ctx.signal,
          progress,
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
        const c = await runCanary(await ctx.store(), backend, {
          modelId,
          setName: set.name,
          canary: set.canary,
          seed,
          signal: ctx.signal,
        });
        reports.push(c);
        if (format === "text")
          ctx.stdout.write(
            `${modelId} canary of '${c.set}': logprob ${f(c.logprob, 2)}, ${pText(c.pValue)} among ${c.decoys} decoys, greedy ${c.greedy ? "yes" : "no"}  ${c.flagged ? "FLAGGED" : "not flagged"}\n`,
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
