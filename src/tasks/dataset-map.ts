/**
 * A dataset map says which local files stand for a Hugging Face dataset (an lm-eval task's `dataset_path` and
 * `dataset_name`), split by split, with the format and the column mapping that turn a local copy into the hub's
 * rows (e.g. nutcracker's `centerpiece/options/correct_options_idx` into ARC's `question/choices/answerKey`).
 * modelmap ships one for the copies in ../shared/data (`tasks/dataset-map.yaml`); `--dataset-map FILE` adds more,
 * later files winning. Paths are relative to the data dir (or to the map's own `data_dir`).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import { renderTemplate } from "./jinja.ts";
import { DataFileSpec } from "./schema.ts";

const SplitRef = z.union([z.string().min(1), DataFileSpec]);

export const DatasetMapEntry = z.strictObject({
  /** The hub id, as a task's `dataset_path` names it (e.g. `allenai/ai2_arc`). */
  path: z.string().min(1),
  /** The configuration (`dataset_name`); `"*"` matches any (use `{{ name }}` in paths and `dataset_name` in columns). */
  name: z.string().nullable().optional(),
  /** Where the copy differs from the hub's data (another split, another order): shown by `tasks show`. */
  note: z.string().optional(),
  /** How to get the data when a file is missing (the error's hint; GPQA's is a password-protected zip). */
  how: z.string().optional(),
  /** Split name -> file(s). */
  splits: z.record(z.string(), z.union([SplitRef, z.array(SplitRef)])),
  /** Splits the hub has and this copy lacks: split -> how to give it (the error when a task needs that split). */
  missing: z.record(z.string(), z.string()).optional(),
});
export type DatasetMapEntry = z.infer<typeof DatasetMapEntry>;

export const DatasetMapFile = z.strictObject({
  /** Base directory of the entries' paths, relative to this file (default: the run's data dir). */
  data_dir: z.string().optional(),
  datasets: z.array(DatasetMapEntry),
});

export interface MappedDataset {
  entry: DatasetMapEntry;
  /** Directory the entry's relative paths are under. */
  base: string;
  /** The map file it came from. */
  source: string;
  /** Split name -> file specs, with `{{ name }}` rendered. */
  splits: Map<string, DataFileSpec[]>;
}

export class DatasetMap {
  private readonly entries: Array<{ entry: DatasetMapEntry; base: string; source: string }> = [];

  /** Reads map files in order (a later entry for the same dataset wins). `dataDir` is the default base. */
  static load(files: string[], dataDir: string): DatasetMap {
    const map = new DatasetMap();
    for (const f of files) map.add(f, dataDir);
    return map;
  }

  add(file: string, dataDir: string): void {
    const data = readMapFile(file);
    const base = data.data_dir === undefined ? dataDir : resolve(dirname(file), data.data_dir);
    for (const entry of data.datasets) this.entries.push({ entry, base, source: file });
  }

  /** The local copy of `path`/`name`, if a map entry covers it (the last matching entry wins). */
  lookup(path: string, name: string | null | undefined): MappedDataset | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (!e || e.entry.path !== path) continue;
      const want = e.entry.name ?? null;
      if (want !== "*" && want !== (name ?? null)) continue;
      const ctx = { name: name ?? "" };
      const splits = new Map<string, DataFileSpec[]>();
      for (const [split, refs] of Object.entries(e.entry.splits)) {
        const list = (Array.isArray(refs) ? refs : [refs]).map((r) => (typeof r === "string" ? { path: r } : r));
        splits.set(
          split,
          list.map((s) => ({
            ...s,
            path: s.path.includes("{{") ? renderTemplate(s.path, ctx, `${e.source}: ${path} ${split}`) : s.path,
          })),
        );
      }
      return { entry: e.entry, base: e.base, source: e.source, splits };
    }
    return undefined;
  }
}

/**
 * A map file, parsed and checked once per process while its size and modification time stay the same: every run,
 * contamination check and task lookup loads the maps, and parsing the shipped one costs ~10 ms each time.
 */
const parsedFiles = new Map<string, { stamp: string; data: DatasetMapFile }>();

type DatasetMapFile = z.infer<typeof DatasetMapFile>;

function readMapFile(file: string): DatasetMapFile {
  if (!existsSync(file)) throw new ModelmapError("not_found", `dataset map not found: ${file}`);
  const st = statSync(file);
  const stamp = `${st.size}:${st.mtimeMs}`;
  const cached = parsedFiles.get(file);
  if (cached?.stamp === stamp) return cached.data;
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ModelmapError("input", `invalid YAML: ${(e as Error).message.split("\n")[0]}`, { location: { file } });
  }
  const r = DatasetMapFile.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ModelmapError("input", `invalid dataset map: ${i?.message ?? "?"}`, {
      location: { file, field: (i?.path ?? []).join(".") },
    });
  }
  parsedFiles.set(file, { stamp, data: r.data });
  return r.data;
}

/** The map shipped with modelmap's tasks: the copies in ../shared/data of the hub datasets tasks name. */
export const BUILTIN_DATASET_MAP = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "tasks",
  "dataset-map.yaml",
);

/** The shipped map, then the user's files (later entries win), with relative paths under `dataDir`. */
export function loadDatasetMaps(dataDir: string, extra: string[] = []): DatasetMap {
  return DatasetMap.load([...(existsSync(BUILTIN_DATASET_MAP) ? [BUILTIN_DATASET_MAP] : []), ...extra], dataDir);
}
