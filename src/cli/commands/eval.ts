import { ModelmapError } from "../../core/errors.ts";
import { resolveModel } from "../../models/resolve.ts";
import { modelFromFlags } from "../../models/spec.ts";
import { createProgress, SILENT_PROGRESS } from "../../runner/progress.ts";
import type { TaskResult } from "../../runner/results.ts";
import { evaluate, resolveDataDir } from "../../runner/service.ts";
import { type Command, parseFlags, parseNumberFlag, requireString, textOrJson } from "../command.ts";
import { modelContext, optionalConfig, requireConfig } from "../config.ts";

const USAGE = `usage: modelmap eval --tasks LIST (--model ID | --gguf FILE | --endpoint URL --model-name NAME) [options]

Runs benchmark tasks (Open LLM Leaderboard style) and stores the results. Running the same command again resumes
an interrupted run (even after kill -9) from the request cache, with identical results.
  --tasks LIST             comma-separated task, group or tag names (see 'modelmap tasks list')
  --model ID               a model configured in modelmap.yaml
  --gguf FILE              an ad-hoc GGUF file, run in-process through llama.cpp
  --endpoint URL           an ad-hoc OpenAI-compatible server (base URL ending in /v1) ...
  --model-name NAME        ... and the model name it serves
  --threads N              CPU threads for --gguf (default: llama.cpp's choice)
  --api-key-env VAR        environment variable holding the endpoint's API key
  --config FILE            modelmap.yaml (for --model; default ./modelmap.yaml)
  --data-dir DIR           where datasets are (default: the config's data_dir, $MODELMAP_DATA_DIR, ../shared/data, ./data)
  --tasks-dir DIR          extra directory of task YAMLs (repeatable)
  --limit N                only the first N documents of each task
  --seed N                 few-shot sampling seed (default 1234)
  --num-fewshot N          override every task's num_fewshot
  --chat-template          render prompts with the model's chat template (default off; recorded either way)
  --system-prompt TEXT     system prompt (with --chat-template)
  --fewshot-as-multiturn   few-shot examples as user/assistant turns (with --chat-template; default: one block)
  --retry-errors           re-send requests that failed in an earlier attempt of this run
  --output DIR             write results_*.json and samples_TASK_*.jsonl in lm-evaluation-harness's layout
  --write-out              print the first documents' requests exactly as sent (to stderr)
  --format text|json       output format (default text); json prints {"results": ..., "groups": ..., "config": ...}
  --window N               documents planned at once (default 1000; bounds memory)
  --quiet                  no progress output`;

function fmt(v: number | string | null | undefined): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(4);
  return v === null || v === undefined ? "-" : String(v);
}

export function resultsTable(results: Record<string, TaskResult>): string {
  const rows: string[][] = [["task", "metric", "filter", "value", "stderr", "n", "errors", "normalized"]];
  for (const [task, r] of Object.entries(results)) {
    const keys = Object.keys(r).filter((k) => k.includes(",") && !k.includes("_stderr,"));
    for (const [i, k] of keys.entries()) {
      const [m, f] = k.split(",");
      rows.push([
        i === 0 ? task : "",
        m ?? "",
        f ?? "",
        fmt(r[k]),
        fmt(r[`${m}_stderr,${f}`]),
        i === 0 ? fmt(r.n) : "",
        i === 0 ? fmt(r.n_errors) : "",
        k === r.primary_metric ? fmt(r.normalized_score) : "",
      ]);
    }
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
        model: { type: "string" },
        gguf: { type: "string" },
        endpoint: { type: "string" },
        "model-name": { type: "string" },
        "api-key-env": { type: "string" },
        threads: { type: "string" },
        config: { type: "string" },
        "data-dir": { type: "string" },
        "tasks-dir": { type: "string", multiple: true },
        limit: { type: "string" },
        seed: { type: "string" },
        "num-fewshot": { type: "string" },
        "chat-template": { type: "boolean" },
        "system-prompt": { type: "string" },
        "fewshot-as-multiturn": { type: "boolean" },
        "retry-errors": { type: "boolean" },
        output: { type: "string" },
        "write-out": { type: "boolean" },
        format: { type: "string" },
        window: { type: "string" },
        quiet: { type: "boolean" },
      },
      false,
    );
    const tasks = requireString("eval", values.tasks, "--tasks")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s);
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
    const { spec, modelId } = modelFromFlags({
      model: values.model,
      gguf: values.gguf,
      endpoint: values.endpoint,
      modelName: values["model-name"],
      apiKey,
      threads,
      chatTemplate,
    });
    // A configured model needs the file; otherwise it is read when present (for its data_dir).
    const config = spec.kind === "config" ? requireConfig(ctx, values.config) : optionalConfig(ctx, values.config);
    const backend = await resolveModel(spec, modelContext(ctx, config));
    try {
      const outcome = await evaluate(ctx.store(), backend, modelId, {
        tasks,
        ...(values["tasks-dir"] ? { tasksDirs: values["tasks-dir"] } : {}),
        dataDir: resolveDataDir(ctx.cwd, values["data-dir"], config?.config.data_dir, ctx.env),
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
        ...(values.output !== undefined ? { outputDir: values.output } : {}),
        progress: values.quiet ? SILENT_PROGRESS : createProgress(ctx.stderr),
        signal: ctx.signal,
        warn: (t) => ctx.stderr.write(`${t}\n`),
        ...(values["write-out"] ? { writeOut: (t: string) => ctx.stderr.write(t) } : {}),
      });
      if (format === "json") {
        ctx.stdout.write(
          `${JSON.stringify({ results: outcome.results, groups: outcome.groups, versions: outcome.versions, config: outcome.config }, null, 2)}\n`,
        );
      } else {
        ctx.stdout.write(resultsTable({ ...outcome.results, ...outcome.groups }));
        ctx.stdout.write(
          `run ${outcome.runId}${outcome.resultsFile ? `; results written to ${outcome.resultsFile}` : ""}\n`,
        );
      }
      const st = outcome.stats;
      if (!values.quiet)
        ctx.stderr.write(
          `modelmap: run ${outcome.runId}: ${st.docs} documents, ${st.uniqueRequests} requests (${st.cachedRequests} from cache, ${st.requestsSent} sent), backend ${(st.backendMs / 1000).toFixed(1)}s of ${(st.wallMs / 1000).toFixed(1)}s\n`,
        );
      const errors = outcome.stats.errors;
      if (errors > 0)
        ctx.stderr.write(
          `modelmap: ${errors} sample(s) failed; see 'modelmap runs show ${outcome.runId}' and rerun with --retry-errors\n`,
        );
      return 0;
    } finally {
      await backend.close();
    }
  },
};
