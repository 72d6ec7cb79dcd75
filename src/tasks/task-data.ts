/**
 * A task's documents, as lm-eval's ConfigurableTask sees them: the evaluated split (`test_split`, else
 * `validation_split`), the few-shot pool (`fewshot_config.split`, else the fixed `samples`, else the training,
 * validation or test split), every split passed through the task's `process_docs` hook. The files come from the
 * task's own `data_files` (modelmap's tasks), from `dataset_kwargs.data_files` (lm-eval's local-file tasks), or from
 * the dataset map entry for its hub id; without any of them the error says how to give the data.
 */
import { dirname } from "node:path";
import { ModelmapError } from "../core/errors.ts";
import type { PythonRandom } from "../core/python-random.ts";
import { type Doc, type ResolvedFile, readAll, readDocs, resolveDataPath } from "./dataset.ts";
import { type DatasetMap, loadDatasetMaps } from "./dataset-map.ts";
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
}

export interface DataSource {
  splits: Map<string, ResolvedFile[]>;
  /** How the data was found, for `tasks show` and errors. */
  describe: string;
  /** Where this copy differs from the hub's (from the dataset map). */
  note?: string;
  url?: string;
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

const builtinMaps = new Map<string, DatasetMap>();

/** The shipped dataset map under a data dir, when the caller gives none. */
function builtinMap(dataDir: string): DatasetMap {
  let m = builtinMaps.get(dataDir);
  if (!m) {
    m = loadDatasetMaps(dataDir);
    builtinMaps.set(dataDir, m);
  }
  return m;
}

/** Where a task's data comes from. Throws a `not_found` error that names the dataset when nothing covers it. */
export function dataSource(task: LoadedTask, ctx: DataContext): DataSource {
  const cfg = task.config;
  if (cfg.custom_dataset instanceof FunctionRef)
    throw new ModelmapError("unsupported", `task '${task.name}' builds its dataset with a Python hook`, {
      location: { file: task.file, field: "custom_dataset" },
    });
  if (cfg.data_files !== undefined) return fromDataFiles(task, cfg.data_files, ctx.dataDir);
  const kwFiles = cfg.dataset_kwargs?.data_files as DataFiles | undefined;
  const path = cfg.dataset_path ?? undefined;
  if (kwFiles !== undefined && (path === undefined || LOCAL_BUILDERS.has(path)))
    return fromDataFiles(task, kwFiles, ctx.dataDir, path);
  if (path === undefined)
    throw new ModelmapError("input", `task '${task.name}' names no dataset (dataset_path or data_files)`, {
      location: { file: task.file, field: "dataset_path" },
    });
  const mapped = (ctx.datasetMap ?? builtinMap(ctx.dataDir)).lookup(path, cfg.dataset_name);
  if (mapped) {
    const vars = { dataset_name: cfg.dataset_name ?? null, dataset_path: path };
    const splits = new Map<string, ResolvedFile[]>();
    for (const [split, specs] of mapped.splits)
      splits.set(
        split,
        specs.map((spec) => ({
          spec,
          file: resolveDataPath(spec.path, { dataDir: mapped.base, yamlDir: mapped.base }),
          vars: { ...vars, split },
        })),
      );
    return {
      splits,
      describe: `${path}${cfg.dataset_name ? ` (${cfg.dataset_name})` : ""} from the dataset map ${mapped.source}`,
      ...(mapped.entry.note ? { note: mapped.entry.note } : {}),
      ...(cfg.dataset_url ? { url: cfg.dataset_url } : {}),
    };
  }
  const id = `${path}${cfg.dataset_name ? `, configuration '${cfg.dataset_name}'` : ""}`;
  throw new ModelmapError("not_found", `task '${task.name}': no local copy of the dataset ${id}`, {
    location: { file: task.file, field: "dataset_path" },
    hint: `add an entry for '${path}'${cfg.dataset_name ? ` (name: ${cfg.dataset_name})` : ""} to a dataset map (--dataset-map FILE; see tasks/dataset-map.yaml) that points at local files under --data-dir`,
  });
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
  ) {
    this.evalSplit = evalSplitName(task);
  }

  static open(task: LoadedTask, ctx: DataContext): TaskData {
    return new TaskData(task, dataSource(task, ctx), ctx.random);
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
    for (const f of filesOf(this.task, this.source, this.evalSplit))
      yield* readDocs(f, this.task.name, this.source.url);
  }

  /** Number of evaluated documents (up to `limit`). */
  async count(limit?: number): Promise<number> {
    if (this.needsWholeSplit) {
      const n = (await this.split(this.evalSplit)).length;
      return limit === undefined ? n : Math.min(n, limit);
    }
    let n = 0;
    for (const f of filesOf(this.task, this.source, this.evalSplit))
      for await (const _ of readDocs(f, this.task.name, this.source.url, { raw: true })) {
        n++;
        if (limit !== undefined && n >= limit) return n;
      }
    return n;
  }

  /** The few-shot split's name, as lm-eval's `fewshot_config.split` (inherited from `fewshot_split`). */
  get fewshotSplit(): string | null {
    return fewshotSplitOf(this.task.config);
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
  const data = TaskData.open(task, ctx);
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
