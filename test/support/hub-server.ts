/**
 * A Hugging Face hub on loopback, serving the hub's URL layout so that the real download code runs against it:
 * `/api/{kind}s/ID/revision/REV` (the commit), `/api/{kind}s/ID/tree/REV?recursive=true` (the listing, paginated
 * with a Link header, LFS files with `lfs.oid` sha256, others with their git blob id), and `/[datasets/]ID/resolve/
 * REV/PATH` (files; LFS files redirect to a CDN path as the hub's do; Range requests answered with 206). Errors
 * carry the hub's `X-Error-Code` header. Faults on request: a listing that lies about a checksum, a connection
 * dropped part-way through a file, a gated repository that wants a token.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRepo {
  kind: "dataset" | "model";
  id: string;
  /** Revision name (branch, tag, `refs/convert/parquet`) -> commit id (40 hex). */
  refs: Record<string, string>;
  /** Commit id -> path -> content. */
  commits: Record<string, Record<string, Uint8Array | string>>;
  /** Files are served only with an accepted token (the listing stays public, as on the hub). */
  gated?: boolean;
}

export interface FakeHubOptions {
  repos: FakeRepo[];
  /** Bearer tokens that pass a gate. */
  tokens?: string[];
  /** Listing entries per page (default 1000). */
  pageSize?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  range?: string;
  auth?: string;
}

export interface FakeHub {
  url: string;
  requests: LoggedRequest[];
  /** Drop the connection after `bytes` bytes, on the next `times` requests for this path (default 1). */
  cut(path: string, bytes: number, times?: number): void;
  /** The listing names this sha256 for the path instead of the real one. */
  lie(path: string, sha256: string): void;
  /** Wait this long before sending a file's body (for overlapping downloads). */
  slow(path: string, ms: number): void;
  close(): Promise<void>;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const gitBlob = (b: Uint8Array) => createHash("sha1").update(`blob ${b.length}\0`).update(b).digest("hex");
const isLfs = (path: string) => /\.(parquet|gguf|bin|safetensors)$/.test(path);

/** A commit id made from a word (tests name commits). */
export function commitId(word: string): string {
  return createHash("sha1").update(word).digest("hex");
}

export async function startFakeHub(opts: FakeHubOptions): Promise<FakeHub> {
  const requests: LoggedRequest[] = [];
  const cuts = new Map<string, { bytes: number; times: number }>();
  const lies = new Map<string, string>();
  const slows = new Map<string, number>();
  const blobs = new Map<string, Uint8Array>();
  const bytesOf = (v: Uint8Array | string) => (typeof v === "string" ? new TextEncoder().encode(v) : v);
  for (const r of opts.repos)
    for (const files of Object.values(r.commits))
      for (const v of Object.values(files)) blobs.set(sha256(bytesOf(v)), bytesOf(v));
  const pageSize = opts.pageSize ?? 1000;

  const fail = (res: ServerResponse, status: number, code: string, message: string) => {
    res.writeHead(status, { "x-error-code": code, "x-error-message": message, "content-type": "application/json" });
    res.end(JSON.stringify({ error: message }));
  };
  const findRepo = (kind: string, id: string) => opts.repos.find((r) => r.kind === kind && r.id === id);
  const commitOf = (r: FakeRepo, rev: string) => (r.commits[rev] ? rev : r.refs[rev]);

  const sendBytes = (req: IncomingMessage, res: ServerResponse, key: string, body: Uint8Array, extra = {}) => {
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    if (start > body.length || (m && start === body.length && body.length > 0)) {
      res.writeHead(416, { "content-range": `bytes */${body.length}` });
      res.end();
      return;
    }
    const rest = body.subarray(start);
    res.writeHead(m ? 206 : 200, {
      "content-length": String(rest.length),
      "accept-ranges": "bytes",
      "content-type": "application/octet-stream",
      ...(m ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      ...extra,
    });
    const wait = slows.get(key) ?? 0;
    if (wait > 0) {
      res.flushHeaders();
      setTimeout(() => res.end(rest), wait);
      return;
    }
    const cut = cuts.get(key);
    if (cut && cut.times > 0) {
      cut.times--;
      res.write(rest.subarray(0, Math.min(cut.bytes, rest.length)), () => {
        // Let the bytes arrive and be read before the connection goes (a stream that errors drops what it has
        // queued but not yet handed out), as a real drop mid-file would.
        setTimeout(() => res.socket?.destroy(), 300);
      });
      return;
    }
    res.end(rest);
  };

  const server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const path = decodeURIComponent(u.pathname);
    requests.push({
      method: req.method ?? "GET",
      path: u.pathname + u.search,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
    });
    // CDN: content by sha256 (what an LFS file's resolve URL redirects to).
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(u.pathname);
    if (cdn) {
      const body = blobs.get(cdn[1] as string);
      if (!body) return fail(res, 404, "EntryNotFound", "no such blob");
      return sendBytes(req, res, u.searchParams.get("file") ?? "", body);
    }
    // API: /api/{kind}s/{owner}/{name}/(revision|tree)/{rev}[/{path}] (rev arrives %-encoded).
    const api = /^\/api\/(dataset|model)s\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)(?:\/(.*))?$/.exec(u.pathname);
    if (api) {
      const [, kind, id, what, revEnc] = api as unknown as [string, string, string, string, string];
      const repo = findRepo(kind, id);
      if (!repo) return fail(res, 401, "RepoNotFound", "Repository not found");
      const commit = commitOf(repo, decodeURIComponent(revEnc));
      if (!commit) return fail(res, 404, "RevisionNotFound", "Invalid rev id");
      if (what === "revision") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify({ id, sha: commit, gated: repo.gated ? "manual" : false, private: false }));
      }
      const files = repo.commits[commit] ?? {};
      const entries: unknown[] = [];
      const dirs = new Set<string>();
      for (const p of Object.keys(files).sort()) {
        const parts = p.split("/");
        for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
      }
      for (const d of [...dirs].sort()) entries.push({ type: "directory", oid: commitId(d), size: 0, path: d });
      for (const [p, v] of Object.entries(files).sort()) {
        const b = bytesOf(v);
        entries.push(
          isLfs(p)
            ? {
                type: "file",
                oid: commitId(`pointer ${p}`),
                size: b.length,
                path: p,
                lfs: { oid: lies.get(p) ?? sha256(b), size: b.length, pointerSize: 134 },
              }
            : { type: "file", oid: lies.get(p) ?? gitBlob(b), size: b.length, path: p },
        );
      }
      const cursor = Number(u.searchParams.get("cursor") ?? 0);
      const page = entries.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (cursor + pageSize < entries.length) {
        const next = new URL(req.url ?? "/", `http://${req.headers.host}`);
        next.searchParams.set("cursor", String(cursor + pageSize));
        headers.link = `<${next.toString()}>; rel="next"`;
      }
      res.writeHead(200, headers);
      return res.end(JSON.stringify(page));
    }
    // Files: /[datasets/]{owner}/{name}/resolve/{rev}/{path}
    const file = /^\/(datasets\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (file) {
      const [, ds, id, revEnc, pEnc] = file as unknown as [string, string | undefined, string, string, string];
      const repo = findRepo(ds ? "dataset" : "model", id);
      if (!repo) return fail(res, 401, "RepoNotFound", "Repository not found");
      if (repo.gated) {
        const auth = req.headers.authorization;
        if (!auth)
          return fail(res, 401, "GatedRepo", "Access to this dataset is restricted. You must be authenticated");
        if (!(opts.tokens ?? []).includes(auth.replace(/^Bearer /, "")))
          return fail(
            res,
            403,
            "GatedRepo",
            "Access to this dataset is restricted and you are not in the authorized list",
          );
      }
      const commit = commitOf(repo, decodeURIComponent(revEnc));
      if (!commit) return fail(res, 404, "RevisionNotFound", "Invalid rev id");
      const p = pEnc.split("/").map(decodeURIComponent).join("/");
      const v = repo.commits[commit]?.[p];
      if (v === undefined) return fail(res, 404, "EntryNotFound", `${p} does not exist`);
      const b = bytesOf(v);
      if (isLfs(p)) {
        res.writeHead(302, {
          location: `/cdn/${sha256(b)}?file=${encodeURIComponent(p)}`,
          "x-repo-commit": commit,
          "x-linked-etag": `"${sha256(b)}"`,
          "x-linked-size": String(b.length),
        });
        return res.end();
      }
      return sendBytes(req, res, p, b, { "x-repo-commit": commit, etag: `"${gitBlob(b)}"` });
    }
    return fail(res, 404, "NotFound", `no route ${path}`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    cut: (path, bytes, times = 1) => cuts.set(path, { bytes, times }),
    lie: (path, sum) => lies.set(path, sum),
    slow: (path, ms) => slows.set(path, ms),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
