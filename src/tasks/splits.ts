/**
 * Which files hold which split of a task, resolved against the data dir.
 */
import { dirname } from "node:path";
import { ModelmapError } from "../core/errors.ts";
import { type ResolvedFile, resolveDataPath } from "./dataset.ts";
import type { LoadedTask } from "./loader.ts";
import type { DataFileRef, DataFileSpec } from "./schema.ts";

function specOf(ref: DataFileRef): DataFileSpec {
  return typeof ref === "string" ? { path: ref } : ref;
}

/** Split name -> files. A bare file (or list) is the split named by test_split (default `test`). */
export function splitFiles(task: LoadedTask, dataDir: string): Map<string, ResolvedFile[]> {
  const cfg = task.config;
  const df = cfg.data_files ?? cfg.dataset_kwargs?.data_files;
  if (df === undefined)
    throw new ModelmapError("input", `task '${cfg.task}' has no data_files`, {
      location: { file: task.file, field: "data_files" },
      hint: "modelmap reads local files: add data_files (split -> file) under dataset_path; a Hugging Face dataset name alone cannot be fetched",
    });
  const datasetPath = [cfg.dataset_path, cfg.dataset_name]
    .filter((x): x is string => typeof x === "string" && x !== "")
    .join("/");
  const base = { dataDir, yamlDir: dirname(task.file), ...(datasetPath ? { datasetPath } : {}) };
  const resolveRefs = (refs: DataFileRef | DataFileRef[]): ResolvedFile[] =>
    (Array.isArray(refs) ? refs : [refs]).map((r) => {
      const spec = specOf(r);
      return { spec, file: resolveDataPath(spec.path, base) };
    });
  const out = new Map<string, ResolvedFile[]>();
  if (typeof df === "string" || Array.isArray(df) || "path" in df) {
    out.set(cfg.test_split ?? cfg.validation_split ?? "test", resolveRefs(df as DataFileRef | DataFileRef[]));
  } else {
    for (const [split, refs] of Object.entries(df)) out.set(split, resolveRefs(refs));
  }
  return out;
}

export function evalSplit(task: LoadedTask): string {
  return task.config.test_split ?? task.config.validation_split ?? "test";
}

export function fewshotSplit(task: LoadedTask): string | undefined {
  const c = task.config;
  return c.fewshot_split ?? c.training_split ?? c.validation_split ?? undefined;
}

export function filesFor(task: LoadedTask, files: Map<string, ResolvedFile[]>, split: string): ResolvedFile[] {
  const f = files.get(split);
  if (!f)
    throw new ModelmapError(
      "input",
      `task '${task.name}' uses split '${split}' but data_files has only ${[...files.keys()].join(", ")}`,
      {
        location: { file: task.file, field: "data_files" },
      },
    );
  return f;
}
