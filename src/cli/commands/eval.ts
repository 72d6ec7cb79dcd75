import { join, resolve } from "node:path";
import type { CpuVariantStatus } from "../../backends/llama-cpp/cpu-variant.ts";
import { suiteSource, writeSuiteToMap } from "../../capmap/suite.ts";
import { ModelmapError } from "../../core/errors.ts";
import { checkOutputDir } from "../../core/files.ts";
import { modelmapCacheDir } from "../../hub/settings.ts";
import { resolveModel } from "../../models/resolve.ts";
import { modelFromFlags } from "../../models/spec.ts";
import { createProgress, SILENT_PROGRESS } from "../../runner/progress.ts";
import { evaluate, failureSummary, resolveDataDir } from "../../runner/service.ts";
import { suiteGroup, suiteRow, suiteTable, suiteTableRow } from "../../runner/suites.ts";
import type { RunLogV1 } from "../../store/run-log.ts";
import { type Command, parseFlags, parseNumberFlag, requireString, textOrJson } from "../command.ts";
import { modelContext, optionalConfig, requireConfig } from "../config.ts";
import { HUB_FLAGS, hubFromFlags, includePaths } from "./tasks.ts";

const USAGE = `usage: modelmap eval (--tasks LIST | --suite NAME) (--model ID | --gguf FILE | --endpoint URL --model-name NAME) [options]

Runs benchmark tasks (Open LLM Leaderboard style) and stores the results. Running the same command again resumes
an interrupted run (even after kill -9) from the request cache, with identical results.
  --tasks LIST             comma-separated task, group or tag names (see 'modelmap tasks list')
  --suite NAME             a leaderboard's whole set with its settings, printed in its columns and written to the
                           capability map: open-llm-v2 (IFEval, BBH, MATH Lvl 5, GPQA, MuSR, MMLU-Pro, raw and
                           normalised as published, and the average) or open-llm-v1 (ARC, HellaSwag, MMLU,
                           TruthfulQA, Winogrande, GSM8K); chat template and system prompt as the flags say
  --model ID               a model configured in modelmap.yaml
  --gguf FILE              an ad-hoc GGUF file, run in-process through llama.cpp
  --endpoint URL           an ad-hoc OpenAI-compatible server (base URL ending in /v1) ...
  --model-name NAME        ... and the model name it serves
  --threads N              CPU threads for --gguf (default: llama.cpp's choice)
  --ctx-size N             context size for --gguf in tokens (default: the model's, at most 4096); longer log-likelihood
                           contexts are cut from the left as lm-eval cuts them
  --api-key-env VAR        environment variable holding the endpoint's API key
  --config FILE            modelmap.yaml (for --model; default ./modelmap.yaml)
  --data-dir DIR           where datasets are (default: the config's data_dir, $MODELMAP_DATA_DIR, ../shared/data, ./data)
  --include-path DIR       extra directory of task YAMLs, e.g. an lm-eval checkout's lm_eval/tasks (repeatable;
                           its tasks override built-in ones of the same name; --tasks-dir is an alias)
  --dataset-map FILE       local copies of hub datasets (YAML, as tasks/dataset-map.yaml; repeatable, later wins)
  --offline                no request to the Hugging Face hub (as HF_HUB_OFFLINE=1): a hub dataset must be under
                           --data-dir (DIR/owner/name/, the hub's layout), in a dataset map or in the cache; else it
                           is downloaded once into $MODELMAP_CACHE/hub (HF_ENDPOINT, HF_TOKEN for gated datasets)
  --python-hooks           run !function hooks that have no native version in a python3 child process (opt-in)
  --limit N                only the first N documents of each task
  --seed N                 few-shot sampling seed (default 1234)
  --num-fewshot N          override every task's num_fewshot
  --chat-template          render prompts with the model's chat template (default off; recorded either way)
  --system-prompt TEXT     system prompt (with --chat-template)
  --fewshot-as-multiturn   few-shot examples as user/assistant turns (with --chat-template; default: one block)
  --retry-errors           re-send requests that failed in an earlier attempt of this run
  --output DIR             write lm-evaluation-harness's results_<date>.json under DIR/<model>/ (or beside
                           DIR when it ends in .json)
  --log-samples            with --output: also samples_<task>_<date>.jsonl (one line per document and filter)
  --write-out              print the first documents' requests exactly as sent (to stderr)
  --format text|json       output format (default text); json prints {"results": ..., "groups": ..., "config": ...}
  --window N               documents planned at once (default 1000; bounds memory)
  --bootstrap-iters N      resamples for bootstrapped standard errors (lm-eval's default 100000; 0: none)
  --quiet                  no progress output`;

function fmt(v: number | string | null | undefined): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(4);
  return v === null || v === undefined ? "-" : String(v);
}

/** Per task and group, one line per metric and filter (groups add their mean over subtasks as `METRIC_macro`). */
export function resultsTable(log: Pick<RunLogV1, "results" | "groups">): string {
  const rows: string[][] = [["task", "metric", "filter", "value", "stderr", "n", "errors", "normalized"]];
  for (const [task, r] of Object.entries(log.results)) {
    r.metrics.forEach((m, i) => {
      const primary = r.primary?.metric === m.metric && r.primary.filter === m.filter;
      rows.push([
        i === 0 ? task : "",
        m.metric,
        m.filter,
        fmt(m.value),
        fmt(m.stderr),
        i === 0 ? fmt(r.n) : "",
        i === 0 ? fmt(r.nErrors) : "",
        primary ? fmt(r.normalizedScore) : "",
      ]);
    });
    if (r.metrics.length === 0) rows.push([task, "-", "-", "-", "-", fmt(r.n), fmt(r.nErrors), ""]);
  }
  for (const [group, g] of Object.entries(log.groups)) {
    const lines = g.metrics.flatMap((m) => {
      const macro = g.macro.find((x) => x.metric === m.metric && x.filter === m.filter);
      return [m, ...(macro ? [{ ...macro, metric: `${m.metric}_macro` }] : [])];
    });
    lines.forEach((m, i) => {
      rows.push([
        i === 0 ? group : "",
        m.metric,
        m.filter,
        fmt(m.value),
        fmt(m.stderr),
        i === 0 ? fmt(g.n) : "",
        i === 0 ? fmt(g.nErrors) : "",
        i === 0 && g.normalizedScore !== null ? fmt(g.normalizedScore) : "",
      ]);
    });
  }
  const w = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(w[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

export const evalCommand: Command = {
  name: "eval",
  summary: "run benchmark tasks on a model (resumable, cached)",
  usage: USAGE,
  async run(argv, ctx) {
    const { values } = parseFlags(
      "eval",
      argv,
      {
        tasks: { type: "string" },
        suite: { type: "string" },
        "bootstrap-iters": { type: "string" },
        model: { type: "string" },
        gguf: { type: "string" },
        endpoint: { type: "string" },
        "model-name": { type: "string" },
        "api-key-env": { type: "string" },
        threads: { type: "string" },
        "ctx-size": { type: "string" },
        config: { type: "string" },
        "data-dir": { type: "string" },
        "include-path": { type: "string", multiple: true },
        "tasks-dir": { type: "string", multiple: true },
        "dataset-map": { type: "string", multiple: true },
        "python-hooks": { type: "boolean" },
        ...HUB_FLAGS,
        limit: { type: "string" },
        seed: { type: "string" },
        "num-fewshot": { type: "string" },
        "chat-template": { type: "boolean" },
        "system-prompt": { type: "string" },
        "fewshot-as-multiturn": { type: "boolean" },
        "retry-errors": { type: "boolean" },
        output: { type: "string" },
        "log-samples": { type: "boolean" },
        "write-out": { type: "boolean" },
        format: { type: "string" },
        window: { type: "string" },
        quiet: { type: "boolean" },
      },
      false,
    );
    if (values.suite !== undefined && values.tasks !== undefined)
      throw new ModelmapError("usage", "eval: give --tasks or --suite, not both");
    const suite = values.suite === undefined ? undefined : suiteGroup(values.suite);
    const tasks =
      suite !== undefined
        ? [suite]
        : requireString("eval", values.tasks, "--tasks or --suite")
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s);
    const bootstrapIters = parseNumberFlag("eval", "--bootstrap-iters", values["bootstrap-iters"], {
      int: true,
      min: 0,
    });
    if (tasks.length === 0) throw new ModelmapError("usage", `eval: --tasks names no task ('${values.tasks}')`);
    const format = textOrJson("eval", values.format);
    const limit = parseNumberFlag("eval", "--limit", values.limit, { int: true, min: 1 });
    const seed = parseNumberFlag("eval", "--seed", values.seed, { int: true }) ?? 1234;
    const numFewshot = parseNumberFlag("eval", "--num-fewshot", values["num-fewshot"], { int: true, min: 0 });
    const window = parseNumberFlag("eval", "--window", values.window, { int: true, min: 1 });
    const chatTemplate = values["chat-template"] === true;
    if (!chatTemplate && (values["system-prompt"] !== undefined || values["fewshot-as-multiturn"]))
      throw new ModelmapError("usage", "eval: --system-prompt and --fewshot-as-multiturn need --chat-template");
    const threads = parseNumberFlag("eval", "--threads", values.threads, { int: true, min: 1 });
    const apiKeyEnv = values["api-key-env"];
    const apiKey = apiKeyEnv ? ctx.env[apiKeyEnv] : undefined;
    if (apiKeyEnv && !apiKey) throw new ModelmapError("usage", `eval: environment variable ${apiKeyEnv} is not set`);
    const ctxSize = parseNumberFlag("eval", "--ctx-size", values["ctx-size"], { int: true, min: 16 });
    if (ctxSize !== undefined && values.gguf === undefined)
      throw new ModelmapError("usage", "eval: --ctx-size applies to --gguf (a configured model sets context_size)");
    const flags = modelFromFlags({
      model: values.model,
      gguf: values.gguf,
      endpoint: values.endpoint,
      modelName: values["model-name"],
      apiKey,
      threads,
      chatTemplate,
    });
    const modelId = flags.modelId;
    const spec =
      flags.spec.kind === "gguf" && ctxSize !== undefined ? { ...flags.spec, contextSize: ctxSize } : flags.spec;
    if (values.output !== undefined) checkOutputDir(resolve(ctx.cwd, values.output), "--output");
    // A configured model needs the file; otherwise it is read when present (for its data_dir).
    const config = spec.kind === "config" ? requireConfig(ctx, values.config) : optionalConfig(ctx, values.config);
    const backend = await resolveModel(spec, modelContext(ctx, config));
    try {
      const outcome = await evaluate(await ctx.store(), backend, modelId, {
        tasks,
        ...(includePaths(values).length > 0 ? { tasksDirs: includePaths(values).map((d) => resolve(ctx.cwd, d)) } : {}),
        ...(values["dataset-map"] ? { datasetMaps: values["dataset-map"].map((f) => resolve(ctx.cwd, f)) } : {}),
        ...(values["python-hooks"] ? { pythonHooks: { env: ctx.env } } : {}),
        dataDir: resolveDataDir(ctx.cwd, values["data-dir"], config?.config.data_dir, ctx.env),
        hub: hubFromFlags(values, ctx),
        countCache: join(modelmapCacheDir(ctx.env), "doc-counts"),
        prompt: {
          chatTemplate,
          fewshotAsMultiturn: values["fewshot-as-multiturn"] === true,
          seed,
          ...(values["system-prompt"] !== undefined ? { systemPrompt: values["system-prompt"] } : {}),
          ...(numFewshot !== undefined ? { numFewshot } : {}),
        },
        ...(limit !== undefined ? { limit } : {}),
        ...(values["retry-errors"] ? { retryErrors: true } : {}),
        ...(window !== undefined ? { window } : {}),
        ...(bootstrapIters !== undefined ? { bootstrapIters } : {}),
        ...(values.output !== undefined ? { outputDir: resolve(ctx.cwd, values.output) } : {}),
        ...(values["log-samples"] ? { logSamples: true } : {}),
        progress: values.quiet ? SILENT_PROGRESS : createProgress(ctx.stderr),
        signal: ctx.signal,
        warn: (t) => ctx.stderr.write(`${t}\n`),
        ...(values["write-out"] ? { writeOut: (t: string) => ctx.stderr.write(t) } : {}),
      });
      // A suite: the leaderboard's columns, written to the capability map beside the imported leaderboard rows.
      const row = suite !== undefined ? suiteRow(suite, outcome.log) : undefined;
      const mapped = row ? await writeSuiteToMap(await ctx.store(), modelId, row) : 0;
      if (format === "json") {
        ctx.stdout.write(
          `${JSON.stringify(
            {
              results: outcome.results,
              groups: outcome.groups,
              versions: outcome.versions,
              config: outcome.config,
              ...(row ? { suite: { ...row, table: suiteTableRow(row), map_source: suiteSource(row) } } : {}),
            },
            null,
            2,
          )}\n`,
        );
      } else {
        ctx.stdout.write(resultsTable(outcome.log));
        if (row) ctx.stdout.write(`\n${suiteTable(row, modelId)}`);
        ctx.stdout.write(
          `run ${outcome.runId}${outcome.resultsFile ? `; results written to ${outcome.resultsFile}` : ""}\n`,
        );
        if (row)
          ctx.stdout.write(
            `capability map: ${mapped} benchmark(s) of ${modelId} written as source ${suiteSource(row)}\n`,
          );
      }
      const st = outcome.stats;
      if (!values.quiet)
        ctx.stderr.write(
          `modelmap: run ${outcome.runId}: ${st.docs} documents, ${st.uniqueRequests} requests (${st.cachedRequests} from cache, ${st.requestsSent} sent), backend ${(st.backendMs / 1000).toFixed(1)}s of ${(st.wallMs / 1000).toFixed(1)}s${cpuVariantNote(backend)}\n`,
        );
      // Failures are named with their reasons, and a task none of whose documents could be scored fails the
      // command: empty metrics are not a result.
      const failures = failureSummary(outcome.log);
      for (const line of failures.lines) ctx.stderr.write(`modelmap: ${line}\n`);
      if (failures.lines.length > 0)
        ctx.stderr.write(
          `modelmap: see 'modelmap runs show ${outcome.runId} --errors'; rerun with --retry-errors once the cause is fixed\n`,
        );
      if (failures.allFailed.length > 0) {
        ctx.stderr.write(
          `modelmap: error: every request of ${failures.allFailed.map((t) => `'${t}'`).join(", ")} failed; no score was computed\n`,
        );
        return 1;
      }
      return 0;
    } finally {
      await backend.close();
    }
  },
};

/** The llama.cpp engine's CPU variant and why, for the run summary ("" for other backends and GPU engines). */
function cpuVariantNote(backend: object): string {
  const v = (backend as { cpuVariantStatus?: CpuVariantStatus }).cpuVariantStatus;
  if (v === undefined) return "";
  const lib = v.libraries.map((l) => /libggml-cpu-(.+)\.so$/.exec(l)?.[1] ?? l).join(", ");
  return `; llama.cpp CPU variant ${v.chosen === "ggml" ? `ggml's choice${lib ? ` (${lib})` : ""}` : v.chosen} (${v.reason})`;
}
