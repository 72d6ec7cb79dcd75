/**
 * A repository at one commit: its file listing and a folder its files are (or will be) in. A snapshot opened
 * through modelmap's cache resolves the revision and lists the files once (two API requests: the revision's commit,
 * then the recursive tree with each file's size and checksum), then serves later runs from the cache without a
 * request; files are downloaded when first asked for. Read-only snapshots stand for copies that are already local:
 * a folder in the hub's layout, or another tool's hub cache.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import { HubCache, isCommit, type RepoFile, safeRepoPath, walkFiles } from "./cache.ts";
import { downloadFile } from "./download.ts";
import { apiUrl, fileUrl, type HubEndpoint, hubJson, type RepoId, unreachableError } from "./http.ts";
import type { HubSettings } from "./settings.ts";

const RevisionInfo = z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/) });
const TreeEntry = z.object({
  type: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative().optional(),
  oid: z.string().optional(),
  lfs: z.object({ oid: z.string(), size: z.number().int().nonnegative() }).nullish(),
});

export function endpointOf(s: HubSettings): HubEndpoint {
  return { endpoint: s.endpoint, ...(s.token ? { token: s.token } : {}), ...(s.signal ? { signal: s.signal } : {}) };
}

export class Snapshot {
  readonly files: ReadonlyMap<string, RepoFile>;

  constructor(
    readonly repo: RepoId,
    readonly revision: string,
    /** Undefined for a local folder whose commit is not known. */
    readonly commit: string | undefined,
    readonly dir: string,
    files: RepoFile[],
    /** Where the snapshot came from, for messages. */
    readonly origin: string,
    /** Settings to download missing files with; absent for read-only and offline snapshots. */
    private readonly settings?: HubSettings,
  ) {
    this.files = new Map(files.map((f) => [f.path, f]));
  }

  get paths(): string[] {
    return [...this.files.keys()];
  }

  local(path: string): string {
    return join(this.dir, ...path.split("/"));
  }

  /** The file is there with the listed size. */
  has(path: string): boolean {
    const f = this.files.get(path);
    const p = this.local(path);
    return f !== undefined && existsSync(p) && statSync(p).size === f.size;
  }

  /** Downloads the files that are not there yet (one at a time, each checked and renamed into place). */
  async fetch(paths: readonly string[]): Promise<void> {
    const missing = paths.filter((p) => !this.has(p));
    if (missing.length === 0) return;
    const s = this.settings;
    if (!s || !this.commit)
      throw unreachableError(
        `${this.repo.id}: ${missing.length} file(s) are not in ${this.origin} (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""}) and downloads are off`,
      );
    for (const path of missing) {
      const f = this.files.get(path);
      if (!f) throw new ModelmapError("internal", `${this.repo.id}: '${path}' is not in the listing`);
      await downloadFile({
        url: fileUrl(s.endpoint, this.repo, this.commit, path),
        dest: this.local(path),
        label: `${this.repo.id}/${path}`,
        expected: {
          size: f.size,
          ...(f.sha256 ? { sha256: f.sha256 } : {}),
          ...(f.gitSha1 ? { gitSha1: f.gitSha1 } : {}),
        },
        hub: endpointOf(s),
        repo: this.repo,
        ...(s.progress ? { progress: s.progress } : {}),
        ...s.download,
      });
    }
  }
}

/** The recursive listing of a commit, page after page. */
async function listTree(repo: RepoId, commit: string, hub: HubEndpoint): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  let url: string | undefined = apiUrl(hub.endpoint, repo, `/tree/${commit}?recursive=true&expand=false`);
  for (let page = 0; url; page++) {
    if (page > 10_000) throw new ModelmapError("network", `${repo.id}: the tree listing does not end`);
    const r: { value: z.infer<typeof TreeEntry>[]; next: string | undefined } = await hubJson(
      url,
      z.array(TreeEntry),
      hub,
      repo,
      `listing ${repo.id}`,
    );
    for (const e of r.value) {
      if (e.type !== "file") continue;
      if (!safeRepoPath(e.path))
        throw new ModelmapError("network", `${repo.id}: the listing names an unsafe path '${e.path}'`);
      const size = e.lfs?.size ?? e.size;
      if (size === undefined) throw new ModelmapError("network", `${repo.id}: the listing gives no size for ${e.path}`);
      files.push({
        path: e.path,
        size,
        ...(e.lfs ? { sha256: e.lfs.oid } : e.oid ? { gitSha1: e.oid } : {}),
      });
    }
    url = r.next;
  }
  return files;
}

/**
 * The repository at `revision`, through modelmap's cache: the cached listing when the revision was resolved before
 * (no request), else the hub's answer (cached for next time). Offline and not cached: an unreachable error.
 */
export async function openSnapshot(repo: RepoId, revision: string, s: HubSettings): Promise<Snapshot> {
  const cache = new HubCache(s.cacheDir);
  const known = cache.commitOf(repo, revision);
  const listed = known ? cache.listing(repo, known) : undefined;
  const origin = `the cache ${cache.root}`;
  if (known && listed)
    return new Snapshot(
      repo,
      revision,
      known,
      cache.snapshotDir(repo, known),
      listed,
      origin,
      s.offline ? undefined : s,
    );
  if (s.offline)
    throw unreachableError(
      `${repo.id} at '${revision}' is not in ${origin} and downloads are off (--offline or HF_HUB_OFFLINE)`,
    );
  const hub = endpointOf(s);
  const info = await hubJson(
    apiUrl(s.endpoint, repo, `/revision/${encodeURIComponent(revision)}`),
    RevisionInfo,
    hub,
    repo,
    `resolving ${repo.id} at '${revision}'`,
  );
  const commit = info.value.sha;
  let files = cache.listing(repo, commit);
  if (!files) {
    files = await listTree(repo, commit, hub);
    cache.setListing(repo, commit, files);
  }
  cache.setCommit(repo, revision, commit);
  return new Snapshot(repo, revision, commit, cache.snapshotDir(repo, commit), files, `the hub ${s.endpoint}`, s);
}

/** A folder holding a repository's files as they are laid out in it (`hf download --local-dir` writes this). */
export function folderSnapshot(repo: RepoId, dir: string, revision: string): Snapshot {
  return new Snapshot(repo, revision, undefined, dir, walkFiles(dir), dir);
}

/** The repository at `revision` in a hub cache that modelmap only reads (snapshot folder present), if it is there. */
export function readOnlySnapshot(root: string, repo: RepoId, revision: string): Snapshot | undefined {
  const cache = new HubCache(root);
  let commit: string | undefined;
  try {
    commit = cache.commitOf(repo, revision);
  } catch {
    return undefined;
  }
  if (!commit) return undefined;
  const dir = cache.snapshotDir(repo, commit);
  if (!existsSync(dir)) return undefined;
  return new Snapshot(
    repo,
    revision,
    isCommit(commit) ? commit : undefined,
    dir,
    walkFiles(dir),
    `the hub cache ${root}`,
  );
}
