import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { stringify } from "yaml";
import { ModelmapError } from "../../core/errors.ts";
import { PythonRandom } from "../../core/python-random.ts";
import { createDownloadProgress } from "../../hub/progress.ts";
import { type HubSettings, hubSettingsFromEnv } from "../../hub/settings.ts";
import { checkTaskData, dataContext, loadRegistry, resolveDataDir } from "../../runner/service.ts";
import { taskCatalog } from "../../runner/views.ts";
import { type ProblemReason, TaskRegistry } from "../../tasks/loader.ts";
import { formatRequestLine, taskRequests } from "../../tasks/requests.ts";
import { dataSource } from "../../tasks/task-data.ts";
import { type CliContext, type Command, parseFlags, parseNumberFlag } from "../command.ts";

/**
 * `--include-path DIR` (lm-eval's flag) and its older alias `--tasks-dir DIR`, both repeatable; `--python-hooks`
 * (opt-in) runs `!function` hooks without a native version in python3.
 */
const INCLUDE_FLAGS = {
  "include-path": { type: "string", multiple: true },
  "tasks-dir": { type: "string", multiple: true },
  "python-hooks": { type: "boolean" },
} as const;

/** `--offline`: no request to the hub (as `HF_HUB_OFFLINE=1`); local copies and the caches only. */
export const HUB_FLAGS = { offline: { type: "boolean" } } as const;

/**
 * The hub settings a command runs with: huggingface_hub's variables (`HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE`,
 * `HF_HUB_CACHE`), modelmap's cache (`MODELMAP_CACHE`), and a download progress display on stderr.
 */
export function hubFromFlags(values: { offline?: boolean; quiet?: boolean }, ctx: CliContext): HubSettings {
  return hubSettingsFromEnv(ctx.env, {
    offline: values.offline === true,
    ...(values.quiet ? {} : { progress: createDownloadProgress(ctx.stderr) }),
    signal: ctx.signal,
  });
}

export function includePaths(values: { "include-path"?: string[]; "tasks-dir"?: string[] }): string[] {
  return [...(values["include-path"] ?? []), ...(values["tasks-dir"] ?? [])];
}

function registryWith(dirs: string[], ctx: CliContext, pythonHooks?: boolean): TaskRegistry {
  const reg = loadRegistry(
    dirs.map((d) => resolve(ctx.cwd, d)),
    pythonHooks ? { pythonHooks: { env: ctx.env } } : {},
  );
  for (const n of reg.notices) if (n.includes("overrides")) ctx.stderr.write(`notice: ${n}\n`);
  return reg;
}

function problemsNote(reg: TaskRegistry, ctx: CliContext): void {
  if (reg.problems.length > 0)
    ctx.stderr.write(
      `modelmap: ${reg.problems.length} task file(s) could not be loaded; 'modelmap tasks validate DIR' says why\n`,
    );
}

const tasksList: Command = {
  name: "tasks list",
  summary: "list task definitions, groups and tags",
  usage: `usage: modelmap tasks list [--include-path DIR]... [--format text|json]

Lists the built-in tasks (tasks/ in the repository) and those under each --include-path (lm-eval's flag; an
lm-eval checkout's lm_eval/tasks loads unchanged; --tasks-dir is an alias). A file that cannot be loaded is
skipped with a count on stderr ('modelmap tasks validate DIR' lists them).`,
  run(argv, ctx) {
    const { values } = parseFlags("tasks list", argv, { ...INCLUDE_FLAGS, format: { type: "string" } }, false);
    const reg = registryWith(includePaths(values), ctx, values["python-hooks"]);
    const tasks = [...reg.tasks.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    const groups = [...reg.groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    if (values.format === "json") {
      // The catalog `GET /api/eval/tasks` answers, plus each task's file (the server does not show local paths).
      const catalog = taskCatalog(reg);
      const out = {
        ...catalog,
        tasks: catalog.tasks.map((t) => ({ ...t, file: reg.tasks.get(t.name)?.file })),
        problems: reg.problems.length,
      };
      ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      problemsNote(reg, ctx);
      return 0;
    }
    for (const t of tasks)
      ctx.stdout.write(
        `${t.name.padEnd(48)} ${(t.config.output_type ?? "generate_until").padEnd(22)} ${String(t.config.num_fewshot ?? 0).padStart(2)}-shot  ${t.tags.join(",")}\n`,
      );
    for (const g of groups) {
      const n = Array.isArray(g.config.task) ? g.config.task.length : g.config.task ? 1 : 0;
      ctx.stdout.write(`${`${g.name} (group)`.padEnd(48)} ${n} members\n`);
    }
    problemsNote(reg, ctx);
    return 0;
  },
};

const tasksShow: Command = {
  name: "tasks show",
  summary: "show one task's resolved definition",
  usage: `usage: modelmap tasks show NAME [--include-path DIR]... [--data-dir DIR] [--dataset-map FILE]... [--offline]

Prints the task's definition after 'include' is resolved, with its file, content hash and where its data comes
from (and how that copy differs from the hub's, when it does). For a hub dataset without a local copy it asks the
hub which files make each split (no data file is downloaded; --offline: not even that).`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("tasks show", argv, {
      ...INCLUDE_FLAGS,
      ...HUB_FLAGS,
      "data-dir": { type: "string" },
      "dataset-map": { type: "string", multiple: true },
    });
    const name = positionals[0];
    if (!name) throw new ModelmapError("usage", "tasks show: give a task name");
    const reg = registryWith(includePaths(values), ctx, values["python-hooks"]);
    const g = reg.groups.get(name);
    if (g) {
      ctx.stdout.write(`# ${g.file}\n${stringify(JSON.parse(JSON.stringify(g.config)))}`);
      return 0;
    }
    const t = reg.tasks.get(name);
    if (!t) {
      const p = reg.problemFor(name);
      if (p) throw p.error;
      throw new ModelmapError("not_found", `no task '${name}'`, { hint: "run 'modelmap tasks list'" });
    }
    ctx.stdout.write(`# ${t.file}\n# hash ${t.hash}\n`);
    const dataDir = resolveDataDir(ctx.cwd, values["data-dir"], undefined, ctx.env);
    try {
      const src = await dataSource(
        t,
        dataContext(
          dataDir,
          (values["dataset-map"] ?? []).map((f) => resolve(ctx.cwd, f)),
          hubFromFlags({ ...values, quiet: true }, ctx),
        ),
      );
      ctx.stdout.write(`# data: ${src.describe}\n`);
      for (const [split, files] of src.splits)
        ctx.stdout.write(
          `#   ${split}: ${files.map((f) => `${f.file}${existsSync(f.file) ? "" : " (not downloaded yet)"}`).join(", ")}\n`,
        );
      if (src.note) ctx.stdout.write(`# differs from the hub: ${src.note.trim().replace(/\n/g, "\n#   ")}\n`);
    } catch (e) {
      if (!(e instanceof ModelmapError)) throw e;
      ctx.stdout.write(`# data: ${e.message}\n`);
    }
    for (const h of t.hooks.values())
      ctx.stdout.write(`# hook ${h.ref.ref}: native ${h.fn.kind} (module sha256 ${h.moduleSha256.slice(0, 12)})\n`);
    ctx.stdout.write(stringify(JSON.parse(JSON.stringify(t.config))));
    return 0;
  },
};

/** Problems that mean the file is wrong, as opposed to asking for something modelmap does not implement. */
const REAL_ERRORS: ReadonlySet<ProblemReason> = new Set(["yaml", "include", "schema", "group"]);

const tasksValidate: Command = {
  name: "tasks validate",
  summary: "check task YAML files against the schema (and their data)",
  usage: `usage: modelmap tasks validate [FILE|DIR]... [--data-dir DIR] [--dataset-map FILE]... [--python-hooks]
                              [--format text|json]

Validates task and group files (default: the built-in tasks), e.g. an lm-eval checkout's lm_eval/tasks. Prints
one line per refused file with its reason (file, line, field), then counts. Files refused for what modelmap does
not implement (a !function hook without a native version, a metric, a filter, a generation option) are listed
but are not errors; exit code 2 when a file is invalid (YAML, schema, include, group member). With --data-dir,
each task's first document is also read and its requests built (from local copies and the caches: nothing is
downloaded).`,
  async run(argv, ctx) {
    const { positionals, values } = parseFlags("tasks validate", argv, {
      "python-hooks": { type: "boolean" },
      "data-dir": { type: "string" },
      "dataset-map": { type: "string", multiple: true },
      format: { type: "string" },
    });
    for (const p of positionals)
      if (!existsSync(resolve(ctx.cwd, p))) throw new ModelmapError("not_found", `no such file or directory: ${p}`);
    const opts = values["python-hooks"] ? { pythonHooks: { env: ctx.env } } : {};
    const reg =
      positionals.length === 0
        ? loadRegistry([], opts)
        : TaskRegistry.load(
            positionals.map((p) => resolve(ctx.cwd, p)),
            opts,
          );
    const byReason = new Map<string, number>();
    let real = 0;
    for (const p of reg.problems) {
      byReason.set(p.reason, (byReason.get(p.reason) ?? 0) + 1);
      if (REAL_ERRORS.has(p.reason)) real++;
      if (values.format !== "json")
        ctx.stderr.write(
          `refused (${p.reason}): ${p.error.message}${p.error.hint ? `\n  hint: ${p.error.hint}` : ""}\n`,
        );
    }
    for (const n of reg.notices) if (values.format !== "json") ctx.stderr.write(`notice: ${n}\n`);
    let dataBad = 0;
    if (values["data-dir"] !== undefined) {
      const dctx = dataContext(
        resolveDataDir(ctx.cwd, values["data-dir"], undefined, ctx.env),
        (values["dataset-map"] ?? []).map((f) => resolve(ctx.cwd, f)),
        hubFromFlags({ offline: true, quiet: true }, ctx),
      );
      for (const t of reg.tasks.values()) {
        try {
          await checkTaskData(t, dctx);
        } catch (e) {
          if (!(e instanceof ModelmapError)) throw e;
          dataBad++;
          ctx.stderr.write(`data: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}\n`);
        }
      }
    }
    const kinds = { task: 0, group: 0, template: 0, refused: 0 };
    for (const f of reg.files) kinds[f.kind]++;
    const hookRefused = byReason.get("hook") ?? 0;
    const loaded = kinds.task + kinds.group;
    const considered = loaded + kinds.refused - hookRefused;
    const summary = {
      files: reg.files.length,
      tasks: kinds.task,
      groups: kinds.group,
      templates: kinds.template,
      refused: kinds.refused,
      refused_by_reason: Object.fromEntries([...byReason].sort((a, b) => b[1] - a[1])),
      loaded_share_without_missing_hooks: considered > 0 ? loaded / considered : 1,
      invalid: real,
      ...(values["data-dir"] !== undefined ? { data_errors: dataBad } : {}),
    };
    if (values.format === "json") ctx.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      const reasons = [...byReason].map(([r, n]) => `${r} ${n}`).join(", ");
      const checked = values["data-dir"] !== undefined;
      ctx.stdout.write(
        `${reg.tasks.size - dataBad} valid${checked ? " (data checked)" : ""}, ${kinds.refused + dataBad} invalid\n`,
      );
      ctx.stdout.write(
        `${reg.files.length} files: ${kinds.task} tasks and ${kinds.group} groups load, ${kinds.template} include-only templates, ${kinds.refused} refused${reasons ? ` (${reasons})` : ""}; ${(100 * summary.loaded_share_without_missing_hooks).toFixed(1)}% of the files whose hooks are implemented or absent load; ${real} invalid file(s)\n`,
      );
    }
    return real > 0 || dataBad > 0 ? 2 : 0;
  },
};

const tasksRequests: Command = {
  name: "tasks requests",
  summary: "print the requests an evaluation would send, without a model",
  usage: `usage: modelmap tasks requests TASK[,TASK...] [--limit N] [--num-fewshot N] [--seed N] [--include-path DIR]...
                              [--data-dir DIR] [--dataset-map FILE]... [--python-hooks] [--offline]
                              [--format jsonl]

Builds every request of the task's documents (a group or tag: of each of its tasks) exactly as an evaluation
without a chat template sends them, one JSON line per request in lm-eval's layout: task, doc_id, idx,
request_type, context, continuation, gen_kwargs, target, num_fewshot, fewshot_seed (as lm-eval's --write_out
and the golden files in shared/data/lmeval_golden). A hub dataset comes from a --dataset-map entry, a copy in
the hub's layout under --data-dir (DIR/owner/name/), the shipped map (tasks/dataset-map.yaml), the caches, or
else the hub's files, downloaded once into $MODELMAP_CACHE/hub (progress on stderr; --offline or
HF_HUB_OFFLINE=1: no download). --python-hooks (opt-in) runs !function hooks
that have no native version in a python3 child process (network off, time limit).`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("tasks requests", argv, {
      ...INCLUDE_FLAGS,
      ...HUB_FLAGS,
      "data-dir": { type: "string" },
      "dataset-map": { type: "string", multiple: true },
      limit: { type: "string" },
      "num-fewshot": { type: "string" },
      seed: { type: "string" },
      format: { type: "string" },
    });
    const names = (positionals[0] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s);
    if (names.length === 0 || positionals.length > 1)
      throw new ModelmapError("usage", "tasks requests: give one task, group or tag name (or a comma-separated list)");
    if ((values.format ?? "jsonl") !== "jsonl")
      throw new ModelmapError("usage", `tasks requests: --format expects jsonl, got '${values.format}'`);
    const limit = parseNumberFlag("tasks requests", "--limit", values.limit, { int: true, min: 1 });
    const numFewshot = parseNumberFlag("tasks requests", "--num-fewshot", values["num-fewshot"], { int: true, min: 0 });
    const seed = parseNumberFlag("tasks requests", "--seed", values.seed, { int: true, min: 0 }) ?? 1234;
    const reg = registryWith(includePaths(values), ctx, values["python-hooks"]);
    const { tasks } = reg.resolve(names);
    const dctx = {
      ...dataContext(
        resolveDataDir(ctx.cwd, values["data-dir"], undefined, ctx.env),
        (values["dataset-map"] ?? []).map((f) => resolve(ctx.cwd, f)),
        hubFromFlags(values, ctx),
      ),
      // As an lm-eval run: Python's global random seeded with 0 once, for hooks that shuffle.
      random: new PythonRandom(0),
    };
    const prompt = {
      chatTemplate: false,
      fewshotAsMultiturn: false,
      seed,
      ...(numFewshot !== undefined ? { numFewshot } : {}),
    };
    for (const t of tasks) {
      for await (const line of taskRequests(t, dctx, prompt, limit)) ctx.stdout.write(`${formatRequestLine(line)}\n`);
    }
    return 0;
  },
};

export const TASKS_COMMANDS: Command[] = [tasksList, tasksShow, tasksValidate, tasksRequests];
