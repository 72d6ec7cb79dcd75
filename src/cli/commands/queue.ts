import { resolve } from "node:path";
import { findModel } from "../../config/load.ts";
import { endpointsOf } from "../../config/schema.ts";
import { ModelmapError } from "../../core/errors.ts";
import { installJobEnv } from "../../queue/handlers.ts";
import { type JobData, MAP_QUEUE } from "../../queue/jobs.ts";
import { JobQueue, type JobRecord, type JobState } from "../../queue/queue.ts";
import { BUILTIN_TASKS_DIR, resolveDataDir } from "../../runner/service.ts";
import { type Command, parseFlags, parseNumberFlag, requireString, textOrJson } from "../command.ts";
import { optionalConfig } from "../config.ts";
import { HUB_FLAGS, hubFromFlags, includePaths } from "./tasks.ts";

/** `--max-size-gb N` as bytes (decimal GB, as the hub shows sizes). */
export function maxBytesFlag(command: string, value: string | undefined): number | undefined {
  const gb = parseNumberFlag(command, "--max-size-gb", value, { min: 0 });
  return gb === undefined ? undefined : Math.round(gb * 1e9);
}

const STATES: readonly JobState[] = ["created", "retry", "active", "completed", "cancelled", "failed"];

function describeJob(j: JobRecord): string {
  const d = j.data as { kind?: string; model?: string; suite?: string; submitter?: string } | null;
  const what = d?.kind === "eval" ? `eval ${d.model} on ${d.suite}${d.submitter ? ` (by ${d.submitter})` : ""}` : "map";
  return `${j.id}  ${j.state.padEnd(9)}  ${j.createdOn.toISOString()}  attempts ${j.retryCount + (j.startedOn ? 1 : 0)}  ${what}`;
}

async function withQueue<T>(dbPath: string, fn: (q: JobQueue) => Promise<T>): Promise<T> {
  const q = await JobQueue.open(dbPath);
  try {
    return await fn(q);
  } finally {
    await q.close();
  }
}

export const queueListCommand: Command = {
  name: "queue list",
  summary: "list queued, running, finished and failed jobs",
  usage: `usage: modelmap --db postgres://... queue list [--state STATE] [--limit N] [--format text|json]

Lists the job queue's jobs, newest first. STATE: ${STATES.join(", ")}.`,
  async run(argv, ctx) {
    const { values } = parseFlags(
      "queue list",
      argv,
      { state: { type: "string" }, limit: { type: "string" }, format: { type: "string" } },
      false,
    );
    const format = textOrJson("queue list", values.format);
    const state = values.state;
    if (state !== undefined && !STATES.includes(state as JobState))
      throw new ModelmapError("usage", `queue list: --state expects one of ${STATES.join(", ")}, got '${state}'`);
    const limit = parseNumberFlag("queue list", "--limit", values.limit, { int: true, min: 1 }) ?? 100;
    const jobs = await withQueue(ctx.dbPath, (q) => q.list({ ...(state ? { state: state as JobState } : {}), limit }));
    if (format === "json") ctx.stdout.write(`${JSON.stringify(jobs, null, 2)}\n`);
    else for (const j of jobs) ctx.stdout.write(`${describeJob(j)}\n`);
    return 0;
  },
};

function jobIdArg(command: string, argv: string[]): string {
  const { positionals } = parseFlags(command, argv, {});
  if (positionals.length !== 1) throw new ModelmapError("usage", `${command}: expected one job id`);
  return positionals[0] as string;
}

export const queueShowCommand: Command = {
  name: "queue show",
  summary: "show one job: its data, state, attempts and output",
  usage: "usage: modelmap --db postgres://... queue show JOB_ID",
  async run(argv, ctx) {
    const id = jobIdArg("queue show", argv);
    const job = await withQueue(ctx.dbPath, (q) => q.get(id));
    if (!job) throw new ModelmapError("not_found", `no job '${id}'`, { hint: "see 'modelmap queue list'" });
    ctx.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
    return 0;
  },
};

/** `queue retry|cancel JOB_ID`: one action on one job, then the job's line. */
function jobAction(
  verb: "retry" | "cancel",
  summary: string,
  act: (q: JobQueue, id: string) => Promise<JobRecord>,
): Command {
  return {
    name: `queue ${verb}`,
    summary,
    usage: `usage: modelmap --db postgres://... queue ${verb} JOB_ID`,
    async run(argv, ctx) {
      const id = jobIdArg(`queue ${verb}`, argv);
      const job = await withQueue(ctx.dbPath, (q) => act(q, id));
      ctx.stdout.write(`${describeJob(job)}\n`);
      return 0;
    },
  };
}

export const queueRetryCommand = jobAction("retry", "put a failed or cancelled job back in the queue", (q, id) =>
  q.retry(id),
);

export const queueCancelCommand = jobAction("cancel", "cancel a queued or running job", (q, id) => q.cancel(id));

const windowOpt = (window: number | undefined) => (window === undefined ? {} : { window });

export const workerCommand: Command = {
  name: "worker",
  summary: "take jobs from the queue and run them on model endpoints",
  usage: `usage: modelmap --db postgres://... worker (--model-endpoint URL[,URL...] | --model ID | --hub-gguf N) [options]

Takes evaluation and map jobs from the queue (PostgreSQL, pg-boss) and runs them on the endpoints, keeping each
job's lease with heartbeats. A job whose worker dies is taken again by another worker once its lease runs out and
resumes from the request cache. SIGTERM or Ctrl-C drains: no new job, running ones get --drain seconds.
  --model-endpoint URLS   OpenAI-compatible base URLs ending in /v1 (repeatable or comma-separated); each serves
                          the models it lists at /v1/models
  --model ID              a model configured in modelmap.yaml: its endpoints
  --hub-gguf N            also run N hub submissions at a time in this process: the pinned GGUF is downloaded
                          through the hub cache (HF_ENDPOINT, HF_TOKEN, MODELMAP_CACHE; checked against the
                          listing's sha256) and run with llama.cpp
  --threads N             llama.cpp CPU threads per hub job (default: the engine's choice)
  --offline               hub jobs use cached weights only (as HF_HUB_OFFLINE=1)
  --jobs-per-endpoint N   jobs at once on each endpoint (default 1)
  --request-concurrency N requests at once inside one job (default 4)
  --lease S               seconds a job stays leased without a heartbeat (default 60)
  --poll-ms N             wait between polls of an empty queue (default 500)
  --drain S               seconds running jobs get after SIGTERM (default 30)
  --exit-when-idle        stop once the queues are empty
  --window N              documents planned at once (default 1000); samples are stored window by window
  --config FILE           modelmap.yaml (system-prompt presets, data_dir)
  --data-dir DIR          where datasets are
  --include-path DIR      operator task folders besides the shipped ones (repeatable)`,
  async run(argv, ctx) {
    const { values } = parseFlags(
      "worker",
      argv,
      {
        "model-endpoint": { type: "string", multiple: true },
        model: { type: "string" },
        "jobs-per-endpoint": { type: "string" },
        "request-concurrency": { type: "string" },
        lease: { type: "string" },
        "poll-ms": { type: "string" },
        drain: { type: "string" },
        "exit-when-idle": { type: "boolean" },
        window: { type: "string" },
        config: { type: "string" },
        "data-dir": { type: "string" },
        "include-path": { type: "string", multiple: true },
        "tasks-dir": { type: "string", multiple: true },
        "hub-gguf": { type: "string" },
        threads: { type: "string" },
        ...HUB_FLAGS,
      },
      false,
    );
    const config = optionalConfig(ctx, values.config);
    const hubSlots = parseNumberFlag("worker", "--hub-gguf", values["hub-gguf"], { int: true, min: 0 }) ?? 0;
    const threads = parseNumberFlag("worker", "--threads", values.threads, { int: true, min: 1 });
    let endpoints = (values["model-endpoint"] ?? [])
      .flatMap((s) => s.split(","))
      .map((s) => s.trim())
      .filter(Boolean);
    if (values.model !== undefined) {
      if (!config) throw new ModelmapError("usage", "worker: --model needs a modelmap.yaml (--config)");
      endpoints = [...endpoints, ...endpointsOf(findModel(config, values.model))];
    }
    if (endpoints.length === 0 && hubSlots === 0)
      throw new ModelmapError("usage", "worker: give --model-endpoint URL, --model ID or --hub-gguf N");
    const lease = parseNumberFlag("worker", "--lease", values.lease, { min: 1 }) ?? 60;
    const log = (l: string) => ctx.stderr.write(`modelmap worker[${process.pid}]: ${l}\n`);
    const queue = await JobQueue.open(ctx.dbPath, {
      onError: (e) => log(`queue supervision: ${e.message}`),
      leaseSeconds: lease,
      superviseSeconds: Math.max(1, Math.min(5, Math.floor(lease / 4))),
    });
    const tasksDirs = includePaths(values).map((d) => resolve(ctx.cwd, d));
    try {
      const store = await ctx.store();
      const env = installJobEnv({
        store,
        dataDir: resolveDataDir(ctx.cwd, values["data-dir"], config?.config.data_dir, ctx.env),
        tasksDirs,
        presets: config?.config.system_prompts,
        ...windowOpt(parseNumberFlag("worker", "--window", values.window, { int: true, min: 1 })),
        onEvalDone: async () => {
          // One rebuild of the map after a burst of finished evaluations is enough.
          const waiting = await queue.list({ state: "created", limit: 1000 });
          if (!waiting.some((j) => j.queue === MAP_QUEUE)) await queue.send({ kind: "map" }, { priority: -1 });
        },
      });
      const report = await (await import("../../queue/worker.ts")).runWorker({
        queue,
        env,
        endpoints,
        perEndpoint:
          parseNumberFlag("worker", "--jobs-per-endpoint", values["jobs-per-endpoint"], { int: true, min: 1 }) ?? 1,
        requestConcurrency:
          parseNumberFlag("worker", "--request-concurrency", values["request-concurrency"], { int: true, min: 1 }) ?? 4,
        pollMs: parseNumberFlag("worker", "--poll-ms", values["poll-ms"], { int: true, min: 10 }) ?? 500,
        drainMs: (parseNumberFlag("worker", "--drain", values.drain, { min: 0 }) ?? 30) * 1000,
        exitWhenIdle: values["exit-when-idle"] === true,
        ...(hubSlots > 0
          ? {
              hub: {
                settings: hubFromFlags({ offline: values.offline === true, quiet: true }, ctx),
                slots: hubSlots,
                ...(threads !== undefined ? { threads } : {}),
              },
            }
          : {}),
        signal: ctx.signal,
        log,
      });
      ctx.stderr.write(
        `modelmap worker[${process.pid}]: stopped: ${report.completed} completed, ${report.failed} failed, ${report.handedBack} handed back\n`,
      );
      return 0;
    } finally {
      await queue.close();
    }
  },
};

export const submitCommand: Command = {
  name: "submit",
  summary: "submit a model to the leaderboard: checked, then queued for evaluation",
  usage: `usage: modelmap --db postgres://... submit MODEL --precision P --suite NAME --submitter WHO [options]

Checks a submission as the Open LLM Leaderboard does and queues its evaluation; a refusal says why (exit 2).
MODEL is a model of the operator's catalogue (--models-dir: a folder of GGUF files), or a Hugging Face hub
repository owner/name (HF_ENDPOINT, HF_TOKEN): its revision is pinned to the commit the hub resolves it to, and it
is refused when unreachable, gated without access, needing remote code (auto_map, *.py), without a card or
licence, over --max-size-gb, or not runnable here (GGUF runs on workers with --hub-gguf; safetensors only when a
--model-endpoint serves owner/name).
  --revision R                  catalogue: the weights' sha256 (or a prefix); hub: a branch, tag or commit;
                                'main' (default) pins the current file or commit
  --precision P                 the weights' precision (F32, F16, BF16, Q8_0, Q4_K_M, ...)
  --chat-template / --no-chat-template   render prompts with the model's chat template (required choice)
  --system-prompt PRESET        none (default), default, or a preset of the operator's config
  --suite NAME                  a shipped task, group or tag (e.g. synthetic)
  --submitter WHO               who submits (rate-limited per submitter)
  --limit N                     documents per task
  --models-dir DIR              the operator's catalogue (default: the bundled zoo, fixtures/zoo)
  --max-params N                refuse models larger than N parameters
  --require-license             refuse models whose weights state no licence
  --max-size-gb N               refuse hub models whose weights are larger (the GGUF file, else the safetensors)
  --offline                     no hub requests (hub submissions are then refused)
  --rate N                      submissions per submitter per 24 h (default 5)
  --model-endpoint URLS         when given, the model must be listed by one of them (reachable)
  --include-path DIR            operator task folders besides the shipped ones (repeatable)
  --config FILE                 modelmap.yaml (system-prompt presets)
  --format text|json`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("submit", argv, {
      revision: { type: "string" },
      precision: { type: "string" },
      "chat-template": { type: "boolean" },
      "system-prompt": { type: "string" },
      suite: { type: "string" },
      submitter: { type: "string" },
      limit: { type: "string" },
      "models-dir": { type: "string" },
      "max-params": { type: "string" },
      "require-license": { type: "boolean" },
      rate: { type: "string" },
      "model-endpoint": { type: "string", multiple: true },
      "include-path": { type: "string", multiple: true },
      "tasks-dir": { type: "string", multiple: true },
      config: { type: "string" },
      format: { type: "string" },
      "max-size-gb": { type: "string" },
      ...HUB_FLAGS,
    });
    if (positionals.length !== 1) throw new ModelmapError("usage", "submit: expected one MODEL");
    if (values["chat-template"] === undefined)
      throw new ModelmapError("usage", "submit: say --chat-template or --no-chat-template (it changes the scores)");
    const format = textOrJson("submit", values.format);
    const config = optionalConfig(ctx, values.config);
    const limit = parseNumberFlag("submit", "--limit", values.limit, { int: true, min: 1 });
    const { submit } = await import("../../queue/submit.ts");
    const accepted = await withQueue(ctx.dbPath, (q) =>
      submit(
        q,
        {
          model: positionals[0],
          revision: values.revision ?? "main",
          precision: requireString("submit", values.precision, "--precision"),
          chatTemplate: values["chat-template"],
          systemPrompt: values["system-prompt"] ?? "none",
          suite: requireString("submit", values.suite, "--suite"),
          submitter: requireString("submit", values.submitter, "--submitter"),
          ...(limit !== undefined ? { limit } : {}),
        },
        {
          modelsDir: resolve(ctx.cwd, values["models-dir"] ?? resolve(BUILTIN_TASKS_DIR, "..", "fixtures", "zoo")),
          maxParams: parseNumberFlag("submit", "--max-params", values["max-params"], { int: true, min: 1 }),
          requireLicense: values["require-license"] === true,
          hub: hubFromFlags({ offline: values.offline === true, quiet: true }, ctx),
          maxBytes: maxBytesFlag("submit", values["max-size-gb"]),
          ratePerWindow: parseNumberFlag("submit", "--rate", values.rate, { int: true, min: 1 }) ?? 5,
          tasksDirs: includePaths(values).map((d) => resolve(ctx.cwd, d)),
          presets: config?.config.system_prompts,
          endpoints: (values["model-endpoint"] ?? [])
            .flatMap((s) => s.split(","))
            .map((s) => s.trim())
            .filter(Boolean),
        },
      ),
    );
    if (format === "json") ctx.stdout.write(`${JSON.stringify(accepted, null, 2)}\n`);
    else {
      ctx.stdout.write(
        `queued job ${accepted.jobId}: ${accepted.job.model} @ ${accepted.job.source ? accepted.job.revision : accepted.job.revision.slice(0, 12)} on ${accepted.job.suite} (${accepted.job.tasks.length} tasks)\n`,
      );
      for (const n of accepted.notes) ctx.stdout.write(`  note: ${n}\n`);
    }
    return 0;
  },
};

export const queueAddCommand: Command = {
  name: "queue add",
  summary: "queue answer generation, LLM judging or a map rebuild for the workers",
  usage: `usage: modelmap --db postgres://... queue add generate --model NAME --prompts SET [--seed N] [--max-tokens N] [--limit N]
       modelmap --db postgres://... queue add judge --judge NAME --models A,B,... --prompts SET [--seed N] [--max-tokens N]
       modelmap --db postgres://... queue add map

Queues a job for the workers (evaluations come through 'modelmap submit'). NAME is a model name the workers'
endpoints serve; SET is a stored prompt set ('modelmap prompts import'). generate answers the set with the model;
judge has the judge model compare and grade the stored answers of the models (both orders); map rebuilds the
capability map from the stored runs, grades and votes.`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("queue add", argv, {
      model: { type: "string" },
      judge: { type: "string" },
      models: { type: "string" },
      prompts: { type: "string" },
      seed: { type: "string" },
      "max-tokens": { type: "string" },
      limit: { type: "string" },
    });
    const kind = positionals[0];
    const seed = parseNumberFlag("queue add", "--seed", values.seed, { int: true }) ?? 0;
    const maxTokens = parseNumberFlag("queue add", "--max-tokens", values["max-tokens"], { int: true, min: 1 }) ?? 1024;
    let data: JobData;
    if (kind === "map" && positionals.length === 1) data = { kind: "map" };
    else if (kind === "generate" && positionals.length === 1) {
      const limit = parseNumberFlag("queue add", "--limit", values.limit, { int: true, min: 1 });
      data = {
        kind: "generate",
        model: requireString("queue add", values.model, "--model"),
        set: requireString("queue add", values.prompts, "--prompts"),
        seed,
        maxTokens,
        ...(limit !== undefined ? { limit } : {}),
      };
    } else if (kind === "judge" && positionals.length === 1) {
      const models = requireString("queue add", values.models, "--models")
        .split(",")
        .map((m) => m.trim())
        .filter(Boolean);
      if (models.length < 2) throw new ModelmapError("usage", "queue add judge: --models needs two or more models");
      data = {
        kind: "judge",
        judge: requireString("queue add", values.judge, "--judge"),
        set: requireString("queue add", values.prompts, "--prompts"),
        models,
        seed,
        maxTokens,
      };
    } else throw new ModelmapError("usage", "queue add: expected one of generate, judge, map");
    if (data.kind === "generate" || data.kind === "judge") {
      const store = await ctx.store();
      if (!(await store.judging.getPromptSet(data.set)))
        throw new ModelmapError("not_found", `no stored prompt set '${data.set}'`, {
          hint: "store it first with 'modelmap prompts import PATH'",
        });
    }
    const id = await withQueue(ctx.dbPath, (q) => q.send(data));
    ctx.stdout.write(`queued job ${id}: ${kind}\n`);
    return 0;
  },
};

export const QUEUE_COMMANDS: readonly Command[] = [
  queueAddCommand,
  submitCommand,
  workerCommand,
  queueListCommand,
  queueShowCommand,
  queueRetryCommand,
  queueCancelCommand,
];
