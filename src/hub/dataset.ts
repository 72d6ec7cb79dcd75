/**
 * A hub dataset (`dataset_path`, `dataset_name`, `dataset_kwargs.revision`) as split -> local files, found the way
 * an lm-eval user expects: a copy already on disk first (a folder in the hub's layout under the data dir, or a hub
 * cache: the one `datasets` fills, or modelmap's), else the hub's own data files at that revision, else, for a
 * repository whose files modelmap cannot read (a loading script, an archive), the dataset viewer's Parquet
 * conversion (`refs/convert/parquet`). Files are downloaded split by split when first read.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ModelmapError } from "../core/errors.ts";
import { resolveSplits, type SplitResolution } from "./data-files.ts";
import type { RepoId } from "./http.ts";
import type { HubSettings } from "./settings.ts";
import { folderSnapshot, openSnapshot, readOnlySnapshot, type Snapshot } from "./snapshot.ts";

export const CONVERTED_REVISION = "refs/convert/parquet";

export interface DatasetQuery {
  /** `owner/name` (lm-eval's `dataset_path`). */
  repo: string;
  /** The configuration (`dataset_name`); null: the default one. */
  config: string | null;
  /** A pinned revision (`dataset_kwargs.revision`: branch, tag or commit); undefined: `main`, not pinned. */
  revision?: string;
  /** `dataset_kwargs.data_files` / `data_dir`: patterns in the repository that replace its card's configs. */
  dataFiles?: unknown;
  dataDir?: string;
}

export interface HubDataset {
  /** Split name -> absolute paths (present, or where `prepare` puts them). */
  splits: Map<string, string[]>;
  /** Where the data comes from, for `tasks show` and errors. */
  describe: string;
  /** Makes the split's files local (downloads those that are missing). */
  prepare(split: string): Promise<void>;
}

export function queryLabel(q: DatasetQuery): string {
  const parts = [q.config !== null ? `name ${q.config}` : undefined, `revision ${q.revision ?? "main"}`].filter(
    (x): x is string => x !== undefined,
  );
  return `${q.repo} (${parts.join(", ")})`;
}

const DATASET = (id: string): RepoId => ({ kind: "dataset", id });

function readme(snap: Snapshot): string | undefined {
  const p = snap.local("README.md");
  return snap.files.has("README.md") && existsSync(p) ? readFileSync(p, "utf8") : undefined;
}

function resolveIn(snap: Snapshot, q: DatasetQuery, text: string | undefined): SplitResolution {
  return resolveSplits(snap.paths, {
    ...(text !== undefined ? { readme: text } : {}),
    config: q.config,
    ...(q.dataFiles !== undefined ? { dataFiles: q.dataFiles } : {}),
    ...(q.dataDir !== undefined ? { dataDir: q.dataDir } : {}),
  });
}

function datasetFrom(snap: Snapshot, splits: Map<string, string[]>, describe: string): HubDataset {
  return {
    splits: new Map([...splits].map(([k, files]) => [k, files.map((p) => snap.local(p))])),
    describe,
    prepare: (split) => snap.fetch(splits.get(split) ?? []),
  };
}

const short = (commit: string | undefined) => (commit ? ` at commit ${commit.slice(0, 12)}` : "");

/**
 * A copy under one of `dirs`: `DIR/owner/name/` holding the repository's files (as `hf download --repo-type dataset
 * owner/name --local-dir DIR/owner/name` writes them, or the Parquet conversion's `CONFIG/SPLIT/*.parquet`), or a
 * hub cache (`DIR/datasets--owner--name/snapshots/...`). `skipped` says why a copy that is there cannot serve.
 */
export function findLocalCopy(q: DatasetQuery, dirs: readonly string[]): { found?: HubDataset; skipped: string[] } {
  const skipped: string[] = [];
  const repo = DATASET(q.repo);
  for (const dir of dirs) {
    const folder = join(dir, ...q.repo.split("/"));
    const candidates: Snapshot[] = [];
    if (existsSync(folder) && statSync(folder).isDirectory())
      candidates.push(folderSnapshot(repo, folder, q.revision ?? "main"));
    const cached = readOnlySnapshot(dir, repo, q.revision ?? "main");
    if (cached) candidates.push(cached);
    for (const snap of candidates) {
      const r = resolveIn(snap, q, readme(snap));
      if (!r.ok) {
        skipped.push(`${snap.dir}: ${r.reason}`);
        continue;
      }
      const missing = [...r.splits.values()].flat().filter((p) => !snap.has(p));
      if (missing.length > 0) {
        skipped.push(`${snap.dir}: ${missing.length} file(s) missing, e.g. ${missing[0]}`);
        continue;
      }
      const layout = snap.commit ? `a hub cache${short(snap.commit)}` : "the hub's layout";
      return { found: datasetFrom(snap, r.splits, `${q.repo} from ${snap.dir} (${layout}; ${r.how})`), skipped };
    }
  }
  return { skipped };
}

/**
 * The dataset from the hub caches or the hub. Throws an unreachable error (see `isUnreachable`) when it would have
 * to ask the hub and cannot (offline, no network); `not_found` when the dataset, revision or configuration is not
 * there; `auth` when the hub wants a token.
 */
export async function openHubDataset(q: DatasetQuery, s: HubSettings): Promise<HubDataset> {
  const repo = DATASET(q.repo);
  const revision = q.revision ?? "main";
  // Another tool's cache (lm-eval's `datasets` fills the Hugging Face one): used when it holds every file.
  for (const root of s.readCaches) {
    const snap = readOnlySnapshot(root, repo, revision);
    if (!snap) continue;
    const r = resolveIn(snap, q, readme(snap));
    if (r.ok && [...r.splits.values()].flat().every((p) => snap.has(p)))
      return datasetFrom(snap, r.splits, `${q.repo}${short(snap.commit)} from the hub cache ${root} (${r.how})`);
  }
  const snap = await openSnapshot(repo, revision, s);
  if (snap.files.has("README.md")) await snap.fetch(["README.md"]);
  const r = resolveIn(snap, q, readme(snap));
  const from = `${s.endpoint}${snap.origin.startsWith("the cache") ? `, cached in ${s.cacheDir}` : ""}`;
  if (r.ok) return datasetFrom(snap, r.splits, `${q.repo}${short(snap.commit)} from ${from} (${r.how})`);
  // The repository's own files cannot be read (a loading script, archives, another format): the dataset viewer's
  // Parquet conversion of the main branch stands in, unless the task pinned a revision or named files.
  if (q.revision !== undefined || q.dataFiles !== undefined)
    throw new ModelmapError(
      "not_found",
      `dataset ${queryLabel(q)}: ${r.reason}`,
      q.revision !== undefined
        ? {
            hint: "the revision is pinned (dataset_kwargs.revision); the Parquet conversion only follows the main branch",
          }
        : {},
    );
  let conv: Snapshot;
  try {
    conv = await openSnapshot(repo, CONVERTED_REVISION, s);
  } catch (e) {
    if (e instanceof ModelmapError && e.code === "not_found")
      throw new ModelmapError("not_found", `dataset ${queryLabel(q)}: ${r.reason}, and it has no Parquet conversion`, {
        cause: e,
      });
    throw e;
  }
  const tops = [...new Set(conv.paths.map((p) => p.split("/")[0]))];
  const config = q.config ?? (tops.length === 1 ? (tops[0] as string) : "default");
  const c = resolveSplits(conv.paths, { config });
  if (!c.ok)
    throw new ModelmapError("not_found", `dataset ${queryLabel(q)}: ${r.reason}; its Parquet conversion: ${c.reason}`, {
      hint: `the conversion has ${tops.join(", ")}`,
    });
  return datasetFrom(
    conv,
    c.splits,
    `${q.repo}: the dataset viewer's Parquet conversion (${CONVERTED_REVISION}${short(conv.commit)}) from ${from}, because ${r.reason}`,
  );
}
