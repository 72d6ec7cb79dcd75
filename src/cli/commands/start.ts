import { resolve } from "node:path";
import { ModelmapError } from "../../core/errors.ts";
import { pText } from "../../core/format.ts";
import { createDownloadProgress } from "../../hub/progress.ts";
import { hubSettingsFromEnv } from "../../hub/settings.ts";
import { type PipelineModel, type PipelineReport, runPipeline, ZOO_CONTAMINATION } from "../../mainjob/pipeline.ts";
import { downloadQuickstartModels, QUICKSTART_VOTE_SOURCE } from "../../mainjob/quickstart.ts";
import { StartCache } from "../../mainjob/start-cache.ts";
import { renderSummary } from "../../mainjob/summary.ts";
import { DEFAULT_ZOO_DIR, loadZoo, ZOO_PROMPT_SETS, ZOO_TASKS, ZOO_VOTE_SOURCE } from "../../mainjob/zoo.ts";
import { failureLines } from "../../runner/failures.ts";
import { createProgress, SILENT_PROGRESS } from "../../runner/progress.ts";
import { type CliContext, type Command, parseFlags, parseNumberFlag } from "../command.ts";

/** Documents per synthetic task for the zoo: all of them fit the 3-minute budget on 2 cores. */
export const ZOO_DEFAULT_LIMIT: number | undefined = undefined;
/** Real models are ~1000x the zoo's size: a sample per task keeps quickstart to minutes on a laptop CPU. */
export const QUICKSTART_DEFAULT_LIMIT = 40;

const SHARED_FLAGS = `  --limit N            documents per benchmark task
  --port N             port of the web UI (default 8787; 0 picks a free one)
  --host HOST          address to bind (default 127.0.0.1)
  --no-serve           print the summary and exit instead of starting the web UI
  --no-contamination   skip the contamination check of every model on every benchmark (cached after the
                       first run; about half of a first run's time on the zoo)
  --quiet              no progress bar (or, without a terminal, progress lines) on stderr`;

const sharedOptions = {
  limit: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  serve: { type: "boolean" },
  contamination: { type: "boolean" },
  quiet: { type: "boolean" },
} as const;

function startCacheOf(env: CliContext["env"]): { cache?: StartCache } {
  const cache = StartCache.fromEnv(env);
  return cache ? { cache } : {};
}

async function finish(
  name: string,
  models: PipelineModel[],
  values: {
    limit?: string | undefined;
    port?: string | undefined;
    host?: string | undefined;
    serve?: boolean | undefined;
    contamination?: boolean | undefined;
    quiet?: boolean | undefined;
  },
  defaults: { limit: number | undefined; voteSource: string; threads?: number; maxTokens: number },
  ctx: CliContext,
): Promise<number> {
  const limit = parseNumberFlag(name, "--limit", values.limit, { int: true, min: 1 }) ?? defaults.limit;
  const port = parseNumberFlag(name, "--port", values.port, { int: true, min: 0, max: 65535 });
  const out = (s: string) => ctx.stdout.write(`${s}\n`);
  // The web UI's port is checked before the evaluation, which takes minutes; it used to fail after it.
  // The web server's modules (hono, the pages, the queue) load only when it is started: a warm --no-serve run
  // used to spend about a third of its time importing them.
  if (values.serve !== false)
    await (await import("../../http/listen.ts")).checkListenable(values.host ?? "127.0.0.1", port ?? 8787);
  out(
    `modelmap ${name}: ${models.length} models, synthetic benchmarks${limit === undefined ? "" : ` (${limit} documents per task)`} and verifiable prompts; database ${ctx.dbPath}`,
  );
  const t0 = performance.now();
  const report: PipelineReport = await runPipeline(await ctx.store(), {
    models,
    tasks: ZOO_TASKS,
    promptSets: ZOO_PROMPT_SETS,
    ...(limit !== undefined ? { limit } : {}),
    seed: 1234,
    voteSource: defaults.voteSource,
    maxTokens: defaults.maxTokens,
    ...(defaults.threads !== undefined ? { threads: defaults.threads } : {}),
    contamination: values.contamination === false ? false : ZOO_CONTAMINATION,
    ...startCacheOf(ctx.env),
    log: out,
    progress: values.quiet ? SILENT_PROGRESS : createProgress(ctx.stderr),
    signal: ctx.signal,
  });
  const seconds = (performance.now() - t0) / 1000;
  out("");
  out(renderSummary(report));
  out("");
  const e = report.eval;
  const cached = e.backendRequests === 0 && report.answers.generated === 0;
  out(
    `evaluation: ${seconds.toFixed(1)}s${cached ? " (everything from the cache)" : ""}; benchmark requests: ${e.cachedRequests}/${e.plannedRequests} from the cache, ${e.backendRequests} sent to models; answers: ${report.answers.reused} reused, ${report.answers.generated} generated, ${report.answers.failed} failed`,
  );
  out(
    `votes: ${report.votes.total} under source '${report.votes.source}' (${report.votes.unchanged ? "unchanged" : `${report.votes.inserted} written`}); capability map: ${report.sync.cells} cells`,
  );
  if (report.contamination.length > 0) {
    const cs = report.contaminationStats;
    const flagged = report.contamination.filter((c) => c.flagged);
    out(
      `contamination: ${report.contamination.length} checks (${cs.requested - cs.sent}/${cs.requested} texts from the cache); ${flagged.length ? `flagged: ${flagged.map((c) => `${c.model} on ${c.task} (${pText(c.pValue)})`).join(", ")}; their scores are demoted in search and on the map` : "nothing flagged"}`,
    );
  }
  for (const line of failureLines(report.answers.failures)) out(`answers: ${line}`);
  for (const w of report.ratingWarnings) out(`warning: ${w}`);
  if (values.serve === false) return 0;
  const argv = ["--port", String(port ?? 8787), ...(values.host ? ["--host", values.host] : [])];
  const { serveCommand } = await import("./serve.ts");
  return (await serveCommand.run(argv, ctx)) ?? 0;
}

export const startCommand: Command = {
  name: "start",
  summary: "offline demo: evaluate the bundled model zoo, rate it, and open the web UI",
  usage: `usage: modelmap start [--limit N] [--port N] [--host HOST] [--no-serve] [--zoo DIR]

Loads the fixture zoo (tiny models with planted skills, fixtures/zoo/manifest.json), runs the synthetic
benchmarks through the harness (cached: a second start sends nothing to the models), answers the
verifiable prompt sets, turns the answers into pairwise votes (correct beats wrong; both wrong is a tie) and
reference-match judgments, checks every model for contamination on every benchmark (the zoo plants one
leak: zoo-contaminated saw the math test items), fits ratings, syncs the capability map, prints a summary
table and starts the web UI. A warm start reads finished runs, contamination reports and ratings back through the
start cache ($MODELMAP_CACHE_DIR/start; MODELMAP_NO_START_CACHE=1 recomputes them from the request cache).
${SHARED_FLAGS}
  --zoo DIR            another zoo directory holding manifest.json (default: the bundled fixtures/zoo)`,
  async run(argv, ctx) {
    const { values } = parseFlags("start", argv, { ...sharedOptions, zoo: { type: "string" } }, false);
    const models = loadZoo(values.zoo ? resolve(ctx.cwd, values.zoo) : DEFAULT_ZOO_DIR);
    // One thread per tiny model: extra threads only spin on a busy 2-core machine.
    return finish(
      "start",
      models,
      values,
      { limit: ZOO_DEFAULT_LIMIT, voteSource: ZOO_VOTE_SOURCE, threads: 1, maxTokens: 16 },
      ctx,
    );
  },
};

export const quickstartCommand: Command = {
  name: "quickstart",
  summary: "download small real instruct models from Hugging Face and run the start pipeline on them",
  usage: `usage: modelmap quickstart --download [--cache-dir DIR] [--limit N] [--port N] [--host HOST] [--no-serve]

Downloads SmolLM2-360M-Instruct and Qwen2.5-0.5B-Instruct (Q4_K_M GGUFs, about 650 MB together) from
Hugging Face once (sha256-checked, resumable; HF_ENDPOINT names a mirror), then runs the same pipeline as
'modelmap start' on them. Offline it fails at once.
  --download           required: agree to download the models
  --cache-dir DIR      the hub cache the models go to (default: $MODELMAP_CACHE/hub, alias $MODELMAP_CACHE_DIR,
                       else ~/.cache/modelmap/hub; hub datasets share it)
${SHARED_FLAGS} (default ${QUICKSTART_DEFAULT_LIMIT})`,
  async run(argv, ctx) {
    const { values } = parseFlags(
      "quickstart",
      argv,
      { ...sharedOptions, download: { type: "boolean" }, "cache-dir": { type: "string" } },
      false,
    );
    if (!values.download)
      throw new ModelmapError("usage", "quickstart: pass --download to fetch the models (about 650 MB)", {
        hint: "offline, run 'modelmap start' (the bundled model zoo)",
      });
    const hub = hubSettingsFromEnv(ctx.env, {
      ...(values["cache-dir"] ? { cacheDir: resolve(ctx.cwd, values["cache-dir"]) } : {}),
      ...(values.quiet ? {} : { progress: createDownloadProgress(ctx.stderr) }),
      signal: ctx.signal,
    });
    // MODELMAP_PROBE_HOST (host:port) lets tests aim the reachability probe at an address that cannot answer.
    const probeSpec = ctx.env.MODELMAP_PROBE_HOST;
    const [host, portText] = probeSpec ? probeSpec.split(":") : [];
    const models = await downloadQuickstartModels({
      hub,
      ...(host ? { probe: { host, port: Number(portText ?? 443), timeoutMs: 3000 } } : {}),
      log: (s) => ctx.stdout.write(`${s}\n`),
    });
    return finish(
      "quickstart",
      models,
      values,
      { limit: QUICKSTART_DEFAULT_LIMIT, voteSource: QUICKSTART_VOTE_SOURCE, maxTokens: 32 },
      ctx,
    );
  },
};

export const START_COMMANDS: Command[] = [startCommand, quickstartCommand];
