import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { configPath, loadConfig } from "../../config/load.ts";
import { runCanary } from "../../contamination/canary.ts";
import { type ContaminationReport, runContamination } from "../../contamination/service.ts";
import { ModelmapError } from "../../core/errors.ts";
import { loadPromptSet } from "../../prompts/load.ts";
import { openModel } from "../../runner/open-model.ts";
import { loadRegistry, resolveDataDir } from "../../runner/service.ts";
import { type CliContext, type Command, parseFlags, parseNumberFlag, textOrJson } from "../command.ts";

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

function configuredDataDir(explicit: string | undefined, cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  const file = configPath(explicit, env, cwd);
  if (!existsSync(file)) return undefined;
  return loadConfig(file, { env, cwd }).config.data_dir;
}

/** A number to `d` decimals, or "-" when there is none. */
export function f(x: number | null | undefined, d = 4): string {
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

/** Opens the model under check (a configured id or a GGUF file); shared with `sensitivity`. */
export async function openCheckModel(
  values: { model?: string; gguf?: string; threads?: string; config?: string },
  ctx: CliContext,
) {
  const threads = parseNumberFlag("contamination", "--threads", values.threads, { int: true, min: 1 });
  return openModel({
    ...(values.model !== undefined ? { model: values.model } : {}),
    ...(values.gguf !== undefined ? { gguf: values.gguf } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(values.config !== undefined ? { configPath: values.config } : {}),
    cwd: ctx.cwd,
    env: ctx.env,
  });
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
    const dataDir = resolveDataDir(
      ctx.cwd,
      values["data-dir"],
      configuredDataDir(values.config, ctx.cwd, ctx.env),
      ctx.env,
    );
    const opened = await openCheckModel(values, ctx);
    const { backend } = opened;
    const modelId = values["model-id"] ?? opened.modelId;
    const ref =
      values.reference !== undefined
        ? await openCheckModel({ model: values.reference, ...(values.config ? { config: values.config } : {}) }, ctx)
        : undefined;
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
