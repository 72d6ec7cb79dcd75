/**
 * The download cache, in the Hugging Face hub cache's own layout so that either tool can read the other's:
 * `ROOT/datasets--owner--name/refs/REVISION` holds the commit a revision resolved to, and
 * `ROOT/datasets--owner--name/snapshots/COMMIT/PATH` the files (plain files here; the hub's cache keeps symlinks
 * into `blobs/`). modelmap adds `modelmap/tree-COMMIT.json`, the repository's file listing with sizes and
 * checksums, so that a cached dataset resolves its splits without asking the hub anything.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/files.ts";
import type { RepoId } from "./http.ts";

export interface RepoFile {
  /** Repository path, `/`-separated. */
  path: string;
  size: number;
  sha256?: string;
  gitSha1?: string;
}

const RepoFileSchema = z.strictObject({
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().optional(),
  gitSha1: z.string().optional(),
});
const Listing = z.strictObject({ commit: z.string(), files: z.array(RepoFileSchema) });

const REPO_ID = /^[\w.-]+(\/[\w.-]+)?$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** `owner/name` (or a legacy `name`) with no path tricks. */
export function isRepoId(id: string): boolean {
  return REPO_ID.test(id) && !id.split("/").some((s) => s === "." || s === "..");
}

/** Throws unless `id` is a repository id. */
export function checkRepoId(id: string): void {
  if (!isRepoId(id)) throw new ModelmapError("input", `'${id}' is not a hub repository id (owner/name)`);
}

/** A repository path that stays inside its folder (the listing comes from a server). */
export function safeRepoPath(p: string): boolean {
  return (
    p !== "" &&
    !p.startsWith("/") &&
    !p.includes("\\") &&
    !p.split("/").some((s) => s === "" || s === "." || s === "..")
  );
}

export function isCommit(revision: string): boolean {
  return COMMIT.test(revision);
}

/** `datasets--owner--name`, the hub cache's folder name for a repository. */
export function repoFolder(repo: RepoId): string {
  checkRepoId(repo.id);
  return `${repo.kind}s--${repo.id.replace("/", "--")}`;
}

/** Every file under `dir` as `/`-separated relative paths with sizes, skipping tool metadata (`.cache/`, `.git/`). */
export function walkFiles(dir: string): RepoFile[] {
  const out: RepoFile[] = [];
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.name === ".git" || e.name === ".cache") continue;
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(p); // follows the hub cache's symlinks into blobs/
      } catch {
        continue;
      }
      if (st.isDirectory()) visit(p);
      else if (st.isFile() && !/\.(part|lock|incomplete)$/.test(e.name))
        out.push({ path: relative(dir, p).split(sep).join("/"), size: st.size });
    }
  };
  visit(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export class HubCache {
  constructor(readonly root: string) {}

  repoDir(repo: RepoId): string {
    return join(this.root, repoFolder(repo));
  }

  private refFile(repo: RepoId, revision: string): string {
    if (revision.split("/").some((s) => s === "" || s === "." || s === ".."))
      throw new ModelmapError("input", `'${revision}' is not a revision name`);
    return join(this.repoDir(repo), "refs", ...revision.split("/"));
  }

  /** The commit `revision` resolved to when it was last asked for (a commit id is its own answer). */
  commitOf(repo: RepoId, revision: string): string | undefined {
    if (isCommit(revision)) return revision;
    const f = this.refFile(repo, revision);
    if (!existsSync(f)) return undefined;
    const c = readFileSync(f, "utf8").trim();
    return isCommit(c) ? c : undefined;
  }

  setCommit(repo: RepoId, revision: string, commit: string): void {
    if (isCommit(revision)) return;
    writeFileAtomic(this.refFile(repo, revision), commit);
  }

  snapshotDir(repo: RepoId, commit: string): string {
    if (!isCommit(commit)) throw new ModelmapError("internal", `not a commit id: ${commit}`);
    return join(this.repoDir(repo), "snapshots", commit);
  }

  /** The cached listing of a commit, if this cache (modelmap's) has one. */
  listing(repo: RepoId, commit: string): RepoFile[] | undefined {
    const f = join(this.repoDir(repo), "modelmap", `tree-${commit}.json`);
    if (!existsSync(f)) return undefined;
    try {
      const r = Listing.safeParse(JSON.parse(readFileSync(f, "utf8")));
      if (r.success && r.data.commit === commit && r.data.files.every((x) => safeRepoPath(x.path)))
        return r.data.files.map((x) => ({
          path: x.path,
          size: x.size,
          ...(x.sha256 ? { sha256: x.sha256 } : {}),
          ...(x.gitSha1 ? { gitSha1: x.gitSha1 } : {}),
        }));
    } catch {}
    return undefined;
  }

  setListing(repo: RepoId, commit: string, files: RepoFile[]): void {
    writeFileAtomic(join(this.repoDir(repo), "modelmap", `tree-${commit}.json`), JSON.stringify({ commit, files }));
  }
}
