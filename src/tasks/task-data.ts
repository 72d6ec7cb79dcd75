/**
 * A task's documents, as lm-eval's ConfigurableTask sees them: the evaluated split (`test_split`, else
 * `validation_split`), the few-shot pool (`fewshot_config.split`, else the fixed `samples`, else the training,
 * validation or test split), every split passed through the task's `process_docs` hook. The files come from the
 * task's own `data_files` (modelmap's tasks), from `dataset_kwargs.data_files` (lm-eval's local-file tasks), or from
 * the dataset map entry for its hub id, or from the Hugging Face hub (a local copy in the hub's layout under the data
 * dir first, then the hub caches, then a download; see hub/dataset.ts); without any of them the error says how to
 * give the data.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { ModelmapError } from "../core/errors.ts";
import type { PythonRandom } from "../core/python-random.ts";
import { isRepoId } from "../hub/cache.ts";
import { type DatasetQuery, findLocalCopy, type HubDataset, openHubDataset, queryLabel } from "../hub/dataset.ts";
import { isUnreachable } from "../hub/http.ts";
import type { HubSettings } from "../hub/settings.ts";
import { type Doc, missingDataError, type ResolvedFile, readAll, readDocs, resolveDataPath } from "./dataset.ts";
import { BUILTIN_DATASET_MAP, type DatasetMap, loadDatasetMaps, type MappedDataset } from "./dataset-map.ts";
import { cachedDocCount } from "./doc-count-cache.ts";
import { effectiveNumFewshot, type PromptOptions, type RenderChat, TaskPrompter } from "./instance.ts";
import type { LoadedTask } from "./loader.ts";
import { FunctionRef } from "./pyyaml.ts";
import type { DataFileRef, DataFileSpec, DataFiles, TaskConfig } from "./schema.ts";

export interface DataContext {
  dataDir: string;
  /** Default: the shipped map (tasks/dataset-map.yaml) under `dataDir`. */
  datasetMap?: DatasetMap;
  /**
   * Python's global `random` as lm-eval seeds it once per run (`random.seed(0)`): `process_docs` hooks that shuffle
   * (GPQA's) draw from it. With it, a split is processed anew each time lm-eval would process it.
   */
  random?: PythonRandom;
  /** The hub: its caches and downloads. Without it, hub datasets come only from local copies. */
  hub?: HubSettings;
  /** A folder where data files' document counts are kept between processes (doc-count-cache.ts). */
  countCache?: string;
}

export interface DataSource {
  splits: Map<string, ResolvedFile[]>;
  /** Makes a split's files local before they are read (downloads them from the hub when needed). */
  prepare?: (split: string) => Promise<void>;
  /** How the data was found, for `tasks show` and errors. */
  describe: string;
  /** Where this copy differs from the hub's (from the dataset map). */
  note?: string;
  url?: string;
  /** Splits the hub has and this copy lacks, with how to give each (from the dataset map). */
  missing?: Record<string, string>;
}

function specOf(ref: DataFileRef): DataFileSpec {
  return typeof ref === "string" ? { path: ref } : ref;
}

/** lm-eval's `dataset_path` values that mean "local files in this format" (Hugging Face's packaged builders). */
const LOCAL_BUILDERS = new Set(["json", "csv", "parquet", "text", "arrow"]);

function fromDataFiles(task: LoadedTask, df: DataFiles, dataDir: string, builder?: string): DataSource {
  const cfg = task.config;
  const datasetPath =
    builder !== undefined
      ? undefined
      : [cfg.dataset_path, cfg.dataset_name].filter((x): x is string => typeof x === "string" && x !== "").join("/");
  const base = { dataDir, yamlDir: dirname(task.file), ...(datasetPath ? { datasetPath } : {}) };
  const format =
    builder === "json" ? "jsonl" : builder === "csv" ? "csv" : builder === "parquet" ? "parquet" : undefined;
  const resolveRefs = (refs: DataFileRef | DataFileRef[]): ResolvedFile[] =>
    (Array.isArray(refs) ? refs : [refs]).map((r) => {
      const spec = specOf(r);
      const file = resolveDataPath(spec.path, base);
      return { spec: format && !spec.format && !/\.json$/.test(spec.path) ? { ...spec, format } : spec, file };
    });
  const splits = new Map<string, ResolvedFile[]>();
  if (typeof df === "string" || Array.isArray(df) || "path" in df) {
    splits.set(cfg.test_split ?? cfg.validation_split ?? "test", resolveRefs(df as DataFileRef | DataFileRef[]));
  } else {
    for (const [split, refs] of Object.entries(df)) splits.set(split, resolveRefs(refs));
  }
  return {
    splits,
    describe: `local files (${task.config.data_files ? "data_files" : "dataset_kwargs.data_files"})`,
    ...(cfg.dataset_url ? { url: cfg.dataset_url } : {}),
  };
}

function fromMap(task: LoadedTask, path: string, mapped: MappedDataset): DataSource {
  const cfg = task.config;
  const vars = { dataset_name: cfg.dataset_name ?? null, dataset_path: path };
  const splits = new Map<string, ResolvedFile[]>();
  for (const [split, specs] of mapped.splits)
    splits.set(
      split,
      specs.map((spec) => ({
        spec,
        file: resolveDataPath(spec.path, { dataDir: mapped.base, yamlDir: mapped.base }),
        vars: { ...vars, split },
        ...(mapped.entry.how ? { hint: mapped.entry.how } : {}),
      })),
    );
  return {
    splits,
    describe: `${path}${cfg.dataset_name ? ` (${cfg.dataset_name})` : ""} from the dataset map ${mapped.source}`,
    ...(mapped.entry.note ? { note: mapped.entry.note } : {}),
    ...(cfg.dataset_url ? { url: cfg.dataset_url } : {}),
    ...(mapped.entry.missing ? { missing: mapped.entry.missing } : {}),
  };
}

/** Every file a map entry names is there (the shipped map's entries only count where ../shared/data is). */
function mapFilesExist(src: DataSource): boolean {
  return [...src.splits.values()].every((files) => files.every((f) => existsSync(f.file)));
}

function hubQuery(task: LoadedTask, path: string): DatasetQuery {
  const cfg = task.config;
  const kw = cfg.dataset_kwargs ?? {};
  return {
    repo: path,
    config: cfg.dataset_name ?? null,
    ...(typeof kw.revision === "string" ? { revision: kw.revision } : {}),
    ...(kw.data_files !== undefined && kw.data_files !== null ? { dataFiles: kw.data_files } : {}),
    ...(typeof kw.data_dir === "string" ? { dataDir: kw.data_dir } : {}),
  };
}

/** The splits a task reads, for messages: the evaluated one first. */
function splitsNamed(task: LoadedTask): string {
  const c = task.config;
  const names = [c.test_split ?? c.validation_split, fewshotSplitOf(c) ?? c.training_split].filter(
    (x, i, all): x is string => typeof x === "string" && all.indexOf(x) === i,
  );
  return names.length > 0 ? `split${names.length > 1 ? "s" : ""} ${names.join(", ")}` : "its splits";
}

/** The ways to give a hub dataset without the hub, for errors. */
function localWays(task: LoadedTask, q: DatasetQuery, ctx: DataContext): string {
  const dir = join(ctx.dataDir, ...q.repo.split("/"));
  const rev = q.revision ? ` --revision ${q.revision}` : "";
  return [
    `put the hub's files under the data dir (--data-dir DIR; now ${ctx.dataDir}) as ${dir}/ (e.g. 'hf download --repo-type dataset ${q.repo}${rev} --local-dir ${dir}', or its Parquet conversion: --revision refs/convert/parquet)`,
    ...(task.config.dataset_url ? [`or download it from ${task.config.dataset_url}`] : []),
    "or name local files for it in a dataset map (--dataset-map FILE; see tasks/dataset-map.yaml)",
    ctx.hub
      ? `or run once with network access to fill the cache ${ctx.hub.cacheDir} (a Hugging Face cache in ${ctx.hub.readCaches.join(", ")} is read too)`
      : "or let modelmap download it (the eval and tasks commands do, unless --offline)",
  ].join("; ");
}

/**
 * No local copy, and the hub cannot be asked (offline, no network). `shipped` is the shipped map's entry whose files
 * are missing: its first missing file is named, as it was before hub downloads.
 */
function offlineError(
  task: LoadedTask,
  q: DatasetQuery,
  ctx: DataContext,
  cause: unknown,
  opts: { split?: string; shipped?: DataSource } = {},
) {
  const evalSplit = task.config.test_split ?? task.config.validation_split ?? "";
  const missing = opts.shipped
    ? [...(opts.shipped.splits.get(evalSplit) ?? []), ...[...opts.shipped.splits.values()].flat()].find(
        (f) => !existsSync(f.file),
      )?.file
    : undefined;
  const mapNote = missing
    ? `; tasks/dataset-map.yaml maps it to local files that are not under the data dir (dataset file not found: ${missing})`
    : "";
  return new ModelmapError(
    "network",
    `task '${task.name}': no local copy of the dataset ${queryLabel(q)}, ${opts.split ? `split ${opts.split}` : splitsNamed(task)}, and the hub cannot be asked: ${(cause as Error).message}${mapNote}`,
    { location: { file: task.file, field: "dataset_path" }, hint: localWays(task, q, ctx), cause },
  );
}

function fromHub(task: LoadedTask, q: DatasetQuery, ds: HubDataset, ctx: DataContext): DataSource {
  const splits = new Map<string, ResolvedFile[]>();
  const vars = { dataset_name: q.config, dataset_path: q.repo };
  for (const [split, files] of ds.splits)
    splits.set(
      split,
      files.map((file) => ({ spec: { path: file }, file, vars: { ...vars, split } })),
    );
  return {
    splits,
    describe: ds.describe,
    prepare: async (split) => {
      try {
        await ds.prepare(split);
      } catch (e) {
        if (isUnreachable(e)) throw offlineError(task, q, ctx, e, { split });
        throw e;
      }
    },
    ...(task.config.dataset_url ? { url: task.config.dataset_url } : {}),
  };
}

/**
 * Where a task's data comes from. For a hub dataset: a dataset map entry given with --dataset-map, else a copy in
 * the hub's layout under the data dir, else the shipped map's local copy (when its files are there), else the hub
 * (caches, then a download) when `ctx.hub` allows it. Throws a `not_found` error that names the dataset when nothing
 * covers it, and a `network` one that says how to give it locally when the hub cannot be reached.
 */
export async function dataSource(task: LoadedTask, ctx: DataContext): Promise<DataSource> {
  const cfg = task.config;
  if (cfg.custom_dataset instanceof FunctionRef)
    throw new ModelmapError("unsupported", `task '${task.name}' builds its dataset with a Python hook`, {
      location: { file: task.file, field: "custom_dataset" },
    });
  if (cfg.data_files !== undefined) return fromDataFiles(task, cfg.data_files, ctx.dataDir);
  const kwFiles = cfg.dataset_kwargs?.data_files as DataFiles | undefined;
  const path = cfg.dataset_path ?? undefined;
  if (kwFiles !== undefined && (path === undefined || LOCAL_BUILDERS.has(path))) {
    const remote = hfUrlQuery(task, kwFiles);
    return remote ? hubSource(task, remote, ctx) : fromDataFiles(task, kwFiles, ctx.dataDir, path);
  }
  if (path === undefined)
    throw new ModelmapError("input", `task '${task.name}' names no dataset (dataset_path or data_files)`, {
      location: { file: task.file, field: "dataset_path" },
    });
  const mapped = (ctx.datasetMap ?? loadDatasetMaps(ctx.dataDir)).lookup(path, cfg.dataset_name);
  if (mapped && mapped.source !== BUILTIN_DATASET_MAP) return fromMap(task, path, mapped);
  return hubSource(task, hubQuery(task, path), ctx, mapped ? fromMap(task, path, mapped) : undefined);
}

/**
 * A hub dataset: a copy in the hub's layout under the data dir, else the shipped map's copy when its files are
 * there, else the hub (caches, downloads) when `ctx.hub` allows it.
 */
async function hubSource(
  task: LoadedTask,
  q: DatasetQuery,
  ctx: DataContext,
  shipped?: DataSource,
): Promise<DataSource> {
  const valid = isRepoId(q.repo);
  const local = valid ? findLocalCopy(q, [ctx.dataDir]) : { skipped: [] };
  if (local.found) return fromHub(task, q, local.found, ctx);
  if (shipped && mapFilesExist(shipped)) return shipped;
  if (!valid) {
    if (shipped) return shipped;
    throw new ModelmapError(
      "not_found",
      `task '${task.name}': dataset_path '${q.repo}' is not a hub dataset id (owner/name)`,
      {
        location: { file: task.file, field: "dataset_path" },
        hint: "name local files with data_files (or dataset_kwargs.data_files and dataset_path: json|csv|parquet)",
      },
    );
  }
  if (ctx.hub) {
    try {
      return fromHub(task, q, await openHubDataset(q, ctx.hub), ctx);
    } catch (e) {
      if (isUnreachable(e)) throw offlineError(task, q, ctx, e, shipped ? { shipped } : {});
      if (e instanceof ModelmapError && !e.location)
        throw new ModelmapError(e.code, `task '${task.name}': ${e.message}`, {
          location: { file: task.file, field: "dataset_path" },
          ...(e.hint ? { hint: e.hint } : {}),
          cause: e,
        });
      throw e;
    }
  }
  // The shipped map's entry without its files: reading it names the missing file.
  if (shipped) return shipped;
  const skipped = local.skipped.length > 0 ? ` (${local.skipped.join("; ")})` : "";
  throw new ModelmapError("not_found", `task '${task.name}': no local copy of the dataset ${queryLabel(q)}${skipped}`, {
    location: { file: task.file, field: "dataset_path" },
    hint: localWays(task, q, ctx),
  });
}

const HF_URL = /^hf:\/\/datasets\/([\w.-]+\/[\w.-]+?)(?:@([^/]+))?\/(.+)$/;

/**
 * `dataset_kwargs.data_files` naming files in a hub repository (`hf://datasets/owner/name[@revision]/path`, as
 * lm-eval's prost and arithmetic tasks do) as a hub query for those files; undefined for local files.
 */
function hfUrlQuery(task: LoadedTask, df: DataFiles): DatasetQuery | undefined {
  const cfg = task.config;
  const bySplit: Array<[string, DataFileRef[]]> =
    typeof df === "string" || Array.isArray(df) || "path" in df
      ? [[cfg.test_split ?? cfg.validation_split ?? "test", Array.isArray(df) ? df : [df as DataFileRef]]]
      : Object.entries(df).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]);
  const urls = bySplit.flatMap(([, refs]) => refs.map((r) => specOf(r).path));
  if (!urls.some((u) => u.startsWith("hf://"))) return undefined;
  const bad = (why: string) =>
    new ModelmapError("input", `task '${task.name}': ${why}`, {
      location: { file: task.file, field: "dataset_kwargs.data_files" },
    });
  let repo: string | undefined;
  let revision: string | undefined;
  const dataFiles: Record<string, string[]> = {};
  for (const [split, refs] of bySplit)
    for (const r of refs) {
      const url = specOf(r).path;
      const m = HF_URL.exec(url);
      if (!m)
        throw bad(
          `'${url}' is not an hf://datasets/owner/name[@revision]/path URL (and local files cannot be mixed in)`,
        );
      const rev = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
      if ((repo !== undefined && repo !== m[1]) || (repo !== undefined && revision !== rev))
        throw bad("data_files name files of more than one hub repository or revision");
      repo = m[1] as string;
      revision = rev;
      dataFiles[split] = [...(dataFiles[split] ?? []), m[3] as string];
    }
  return { repo: repo as string, config: null, ...(revision ? { revision } : {}), dataFiles };
}

/** lm-eval's `fewshot_cfg.split`: `fewshot_config.split`, inherited from `fewshot_split`. */
export function fewshotSplitOf(cfg: TaskConfig): string | null {
  const fc = cfg.fewshot_config;
  if (fc && fc.split !== undefined) return fc.split;
  return cfg.fewshot_split ?? null;
}

/** The evaluated split's name. */
export function evalSplitName(task: LoadedTask): string {
  const c = task.config;
  const s = c.test_split ?? c.validation_split;
  if (s === undefined || s === null) {
    // modelmap's own tasks may name only data files; lm-eval requires a test or validation split.
    if (c.data_files !== undefined) return "test";
    throw new ModelmapError("input", `task '${task.name}' has neither test_split nor validation_split`, {
      location: { file: task.file, field: "test_split" },
    });
  }
  return s;
}

function filesOf(task: LoadedTask, src: DataSource, split: string): ResolvedFile[] {
  const f = src.splits.get(split);
  const how = src.missing?.[split];
  if (!f && how !== undefined)
    throw new ModelmapError(
      "not_found",
      `task '${task.name}' uses split '${split}', which the local copy lacks (${src.describe})`,
      { location: { file: task.file }, hint: how },
    );
  if (!f)
    throw new ModelmapError(
      "input",
      `task '${task.name}' uses split '${split}', but its data (${src.describe}) has only ${[...src.splits.keys()].join(", ")}`,
      { location: { file: task.file } },
    );
  return f;
}

export class TaskData {
  readonly evalSplit: string;
  private processed = new Map<string, Doc[]>();

  constructor(
    readonly task: LoadedTask,
    readonly source: DataSource,
    private readonly random?: PythonRandom,
    private readonly countCache?: string,
  ) {
    this.evalSplit = evalSplitName(task);
  }

  static async open(task: LoadedTask, ctx: DataContext): Promise<TaskData> {
    return new TaskData(task, await dataSource(task, ctx), ctx.random, ctx.countCache);
  }

  private processDocs(ref: FunctionRef | null | undefined): ((docs: Doc[]) => Doc[]) | undefined {
    if (!(ref instanceof FunctionRef)) return undefined;
    const h = this.task.hooks.get(ref);
    if (h?.fn.kind !== "process_docs")
      throw new ModelmapError("internal", `task '${this.task.name}': process_docs hook not bound`);
    const fn = h.fn.fn;
    const random = this.random;
    return random ? (docs) => fn(docs, { random }) : (docs) => fn(docs);
  }

  /**
   * A whole split, through a `process_docs` hook when there is one. Cached, except when hooks draw from the run's
   * Python `random`: then each call processes the rows again, as each of lm-eval's `test_docs()` calls does.
   */
  async split(name: string, hook: FunctionRef | null | undefined = this.task.config.process_docs): Promise<Doc[]> {
    const fn = this.processDocs(hook);
    const key = `${name}\u0000${hook instanceof FunctionRef ? hook.ref : ""}`;
    let raw = this.processed.get(key);
    if (!raw) {
      await this.source.prepare?.(name);
      raw = await readAll(filesOf(this.task, this.source, name), this.task.name, this.source.url);
      if (fn && this.random) {
        this.processed.set(key, raw);
        return fn(raw.map((d) => structuredClone(d)));
      }
      raw = fn ? fn(raw) : raw;
      this.processed.set(key, raw);
      return raw;
    }
    return fn && this.random ? fn(raw.map((d) => structuredClone(d))) : raw;
  }

  /** True when the evaluated split must be read whole (a `process_docs` hook sees every row at once). */
  get needsWholeSplit(): boolean {
    return this.task.config.process_docs instanceof FunctionRef;
  }

  /** The evaluated documents in order, streamed unless a hook needs the whole split. */
  async *evalDocs(): AsyncGenerator<Doc> {
    if (this.needsWholeSplit) {
      yield* await this.split(this.evalSplit);
      return;
    }
    await this.source.prepare?.(this.evalSplit);
    for (const f of filesOf(this.task, this.source, this.evalSplit))
      yield* readDocs(f, this.task.name, this.source.url);
  }

  /** Number of evaluated documents (up to `limit`). */
  async count(limit?: number): Promise<number> {
    if (this.needsWholeSplit) {
      const n = (await this.split(this.evalSplit)).length;
      return limit === undefined ? n : Math.min(n, limit);
    }
    await this.source.prepare?.(this.evalSplit);
    const files = filesOf(this.task, this.source, this.evalSplit);
    const countFile = async (f: ResolvedFile, upTo: number | undefined): Promise<number> => {
      let n = 0;
      for await (const _ of readDocs(f, this.task.name, this.source.url, { raw: true })) {
        n++;
        if (upTo !== undefined && n >= upTo) break;
      }
      return n;
    };
    let n = 0;
    for (const f of files) {
      if (limit !== undefined) {
        n += await countFile(f, limit - n);
        if (n >= limit) return n;
      } else n += await cachedDocCount(this.countCache, f, true, () => countFile(f, undefined));
    }
    return n;
  }

  /** The few-shot split's name, as lm-eval's `fewshot_config.split` (inherited from `fewshot_split`). */
  get fewshotSplit(): string | null {
    return fewshotSplitOf(this.task.config);
  }

  /**
   * Throws what `fewshotDocs()` would throw for missing data (a split the copy lacks, a file that is not there),
   * without reading the pool: a run checks every task's data before its first request.
   */
  checkFewshotFiles(): void {
    const c = this.task.config;
    const samples = c.fewshot_config?.samples;
    const split =
      this.fewshotSplit ??
      (samples !== undefined && samples !== null
        ? null
        : (c.training_split ?? c.validation_split ?? c.test_split ?? null));
    if (split === null) return;
    const files = filesOf(this.task, this.source, split);
    // A hub source's files are fetched when the split is first read (`prepare`); only the split must exist.
    if (this.source.prepare) return;
    for (const f of files)
      if (!existsSync(f.file)) throw missingDataError(f.file, this.task.name, this.source.url, f.hint);
  }

  /**
   * lm-eval's `fewshot_docs()`: the few-shot split (with the few-shot `process_docs`), else the fixed samples,
   * else the training split, else validation, else test.
   */
  async fewshotDocs(): Promise<Doc[]> {
    const c = this.task.config;
    const fc = c.fewshot_config ?? {};
    const split = this.fewshotSplit;
    if (split !== null) {
      const hook = fc.process_docs !== undefined ? fc.process_docs : c.process_docs;
      return this.split(split, hook);
    }
    const samples = fc.samples;
    if (Array.isArray(samples)) return samples;
    if (samples instanceof FunctionRef) {
      const h = this.task.hooks.get(samples);
      if (h?.fn.kind !== "fewshot_samples")
        throw new ModelmapError("internal", `task '${this.task.name}': fewshot samples hook not bound`);
      return h.fn.fn();
    }
    if (c.training_split) return this.split(c.training_split);
    if (c.validation_split) return this.split(c.validation_split);
    if (c.test_split) return this.split(c.test_split);
    // modelmap's own tasks without split names: no pool.
    return [];
  }
}

/**
 * The task's data and its prompter, ready to turn documents into requests: the few-shot pool is read only when
 * the task uses one, and the column names come from the evaluated split's first document.
 */
export async function openPrompter(
  task: LoadedTask,
  ctx: DataContext,
  prompt: PromptOptions,
  renderChat?: RenderChat,
): Promise<{ data: TaskData; prompter: TaskPrompter }> {
  const data = await TaskData.open(task, ctx);
  // lm-eval's task constructor reads the few-shot docs before the evaluated ones (each through process_docs):
  // with a run-level Python random, the order of those reads decides what shuffling hooks draw.
  const k = effectiveNumFewshot(task.config, prompt.numFewshot);
  const pool = k > 0 || (ctx.random && data.needsWholeSplit) ? await data.fewshotDocs() : [];
  let first: Doc | undefined;
  for await (const d of data.evalDocs()) {
    first = d;
    break;
  }
  if (first === undefined)
    throw new ModelmapError("input", `task '${task.name}': the ${data.evalSplit} split has no documents`, {
      location: { file: task.file },
    });
  const prompter = new TaskPrompter(task, prompt, pool, new Set(Object.keys(first)), data.fewshotSplit, renderChat);
  return { data, prompter };
}
