/**
 * One file from the hub into a cache, safely: written to `<dest>.part` and renamed into place only after its size
 * and checksum (the hub's LFS sha256, or the git blob sha1 of a small file) match the listing, so a reader never
 * sees half a file. An interrupted download leaves the `.part` behind and the next attempt resumes it with an
 * HTTP Range request (within one call after a dropped connection, or in a later run). A lock file beside the
 * destination makes a second process wait for the first instead of writing the same bytes; a lock whose owner
 * died (same host: its pid is gone; else: its heartbeat stopped) is taken over.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  existsSync,
  openSync,
  readFileSync,
  statSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { mkdir, open, rename, rm, truncate } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { ModelmapError } from "../core/errors.ts";
import { type HubEndpoint, hubGet, hubHttpError, isUnreachable, type RepoId } from "./http.ts";

/** What the listing says the file is; each given field is checked. */
export interface Expected {
  size?: number;
  /** LFS files: the sha256 of the content. */
  sha256?: string;
  /** Other files: the git blob id, sha1 of `blob <size>\0<content>`. */
  gitSha1?: string;
}

/** Told about each file as it downloads; the CLI draws a bar on a terminal and plain lines otherwise. */
export interface DownloadProgress {
  start(label: string, total: number | undefined, resumedFrom: number): DownloadMeter;
}
export interface DownloadMeter {
  advance(bytes: number): void;
  end(ok: boolean): void;
}

export interface DownloadRequest {
  url: string;
  /** Final path; `<dest>.part` and `<dest>.lock` are used beside it. */
  dest: string;
  /** Names the file in progress lines and errors. */
  label: string;
  expected: Expected;
  hub: HubEndpoint;
  repo: RepoId;
  progress?: DownloadProgress;
  /** Further attempts after a dropped connection or a server error, each resuming (default 3). */
  retries?: number;
  /** Wait before a further attempt, doubled each time (default 1000 ms). */
  retryDelayMs?: number;
  /** A body that sends nothing for this long is dropped and resumed (default 60 s). */
  stallMs?: number;
  /** A lock whose heartbeat is older than this is taken over (default 30 s; the heartbeat is a third of it). */
  lockStaleMs?: number;
}

export interface DownloadResult {
  /** False when the file was already there (or another process finished it while this one waited). */
  downloaded: boolean;
  /** Bytes fetched by this call (less than the size after a resume). */
  fetched: number;
  /** Requests that carried a Range header (resumes). */
  resumed: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ModelmapError("aborted", "interrupted"));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new ModelmapError("aborted", "interrupted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function lockIsStale(lock: string, staleMs: number): boolean {
  let st: ReturnType<typeof statSync>;
  let owner: { pid?: unknown; host?: unknown } = {};
  try {
    st = statSync(lock);
    owner = JSON.parse(readFileSync(lock, "utf8")) as typeof owner;
  } catch {
    // Gone (released) or half-written by its creator this instant: not stale; look again shortly.
    return false;
  }
  if (owner.host === hostname() && typeof owner.pid === "number" && !pidAlive(owner.pid)) return true;
  return Date.now() - st.mtimeMs > staleMs;
}

/** Takes `<dest>.lock`, waiting while a live owner holds it; returns the release function. */
async function acquireLock(lock: string, staleMs: number, signal?: AbortSignal): Promise<() => Promise<void>> {
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
      closeSync(fd);
      const beat = setInterval(
        () => {
          try {
            const now = new Date();
            utimesSync(lock, now, now);
          } catch {}
        },
        Math.max(50, staleMs / 3),
      );
      beat.unref();
      return async () => {
        clearInterval(beat);
        await rm(lock, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    if (lockIsStale(lock, staleMs)) {
      // Renaming first means only one of several waiters removes it.
      const gone = `${lock}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
      try {
        await rename(lock, gone);
        await rm(gone, { force: true });
      } catch {}
      continue;
    }
    await sleep(100, signal);
  }
}

async function hashFile(path: string, algo: "sha256" | "sha1", prefix?: string): Promise<string> {
  const h = createHash(algo);
  if (prefix !== undefined) h.update(prefix);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Checks size and checksum; on a mismatch the file is removed and the error says so. */
async function verify(path: string, req: DownloadRequest): Promise<void> {
  const size = statSync(path).size;
  const ex = req.expected;
  const fail = async (what: string, want: string | number, got: string | number) => {
    await rm(path, { force: true });
    return new ModelmapError(
      "network",
      `${req.label}: ${what} mismatch after download (expected ${want}, got ${got}); the downloaded file was removed`,
      {
        hint: `run again to download it anew; if it happens again, ${new URL(req.url).host} serves other bytes than its listing names`,
      },
    );
  };
  if (ex.size !== undefined && size !== ex.size) throw await fail("size", ex.size, size);
  if (ex.sha256) {
    const got = await hashFile(path, "sha256");
    if (got !== ex.sha256.toLowerCase()) throw await fail("sha256", ex.sha256, got);
  } else if (ex.gitSha1) {
    const got = await hashFile(path, "sha1", `blob ${size}\0`);
    if (got !== ex.gitSha1.toLowerCase()) throw await fail("git blob id", ex.gitSha1, got);
  }
}

/** A failure worth another attempt from where the `.part` file ends. */
class Retriable extends Error {}

/** At most this much received but not yet on disk before reading waits for the disk. */
const WRITE_BACKLOG = 32 * 2 ** 20;

/**
 * Appends the rest of the file (from `offset`) to `part`. The body is read as fast as it arrives, with the disk writes
 * queued behind: a stream that errors (a dropped connection) discards what it holds unread, so reading promptly is
 * what lets the next attempt resume from the most bytes.
 */
async function fetchInto(
  part: string,
  offset: number,
  req: DownloadRequest,
  counters: { fetched: number; resumed: number },
): Promise<void> {
  const what = `downloading ${req.label}`;
  if (offset > 0) counters.resumed++;
  const fh = await open(part, "a");
  let meter: DownloadMeter | undefined;
  let ok = false;
  let pending: Promise<unknown> = Promise.resolve();
  let writeError: unknown;
  try {
    const res = await hubGet(req.url, req.hub, what, offset > 0 ? { range: `bytes=${offset}-` } : {});
    if (res.status === 416) {
      // The part is longer than the file (it changed on the server): start over.
      await res.body?.cancel();
      await fh.truncate(0);
      throw new Retriable("range not satisfiable");
    }
    if (!res.ok) {
      const err = await hubHttpError(res, what, req.hub, req.repo);
      if (res.status >= 500) throw new Retriable(err.message);
      throw err;
    }
    let start = offset;
    if (res.status === 200 && offset > 0) {
      start = 0; // the server ignored the range: rewrite from the start
      await fh.truncate(0);
    }
    if (res.status === 206) {
      const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
      if (!m || Number(m[1]) !== offset) {
        await res.body?.cancel();
        await fh.truncate(0);
        throw new Retriable(`unexpected Content-Range '${res.headers.get("content-range")}'`);
      }
    }
    const length = Number(res.headers.get("content-length") ?? Number.NaN);
    const total = req.expected.size ?? (Number.isFinite(length) ? start + length : undefined);
    meter = req.progress?.start(req.label, total, start);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    let backlog = 0;
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        void reader.cancel();
      }, req.stallMs ?? 60_000);
    };
    const onAbort = () => void reader.cancel();
    req.hub.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      arm();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        backlog += value.length;
        pending = pending.then(async () => {
          if (writeError) return;
          try {
            await fh.write(value);
          } catch (e) {
            writeError = e;
          }
          backlog -= value.length;
          counters.fetched += value.length;
          meter?.advance(value.length);
        });
        received += value.length;
        if (backlog > WRITE_BACKLOG) await pending;
        arm();
      }
    } catch (e) {
      if (req.hub.signal?.aborted) throw new ModelmapError("aborted", `${what}: interrupted (run again to resume)`);
      throw new Retriable(`connection lost after ${start + received} bytes (${(e as Error).message})`);
    } finally {
      clearTimeout(timer);
      req.hub.signal?.removeEventListener("abort", onAbort);
    }
    if (req.hub.signal?.aborted) throw new ModelmapError("aborted", `${what}: interrupted (run again to resume)`);
    if (stalled) throw new Retriable(`no data for ${(req.stallMs ?? 60_000) / 1000} s`);
    if (Number.isFinite(length) && received < length)
      throw new Retriable(`connection closed after ${start + received} of ${start + length} bytes`);
    ok = true;
  } finally {
    // What arrived is kept on disk, so the next attempt resumes after it.
    await pending;
    await fh.close();
    meter?.end(ok && writeError === undefined);
  }
  if (writeError) throw writeError;
}

/**
 * Downloads `req.url` to `req.dest` unless it is there already. Safe against interruption (resumes), corruption
 * (checksum, file removed), and a second process doing the same (waits on the lock, then finds the file).
 */
export async function downloadFile(req: DownloadRequest): Promise<DownloadResult> {
  const counters = { fetched: 0, resumed: 0 };
  const present = () =>
    existsSync(req.dest) && (req.expected.size === undefined || statSync(req.dest).size === req.expected.size);
  if (present()) return { downloaded: false, ...counters };
  await mkdir(dirname(req.dest), { recursive: true });
  const release = await acquireLock(`${req.dest}.lock`, req.lockStaleMs ?? 30_000, req.hub.signal);
  try {
    // Another process may have finished it while this one waited.
    if (present()) return { downloaded: false, ...counters };
    const part = `${req.dest}.part`;
    const retries = req.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let have = existsSync(part) ? statSync(part).size : 0;
      if (req.expected.size !== undefined && have > req.expected.size) {
        await truncate(part, 0);
        have = 0;
      }
      if (req.expected.size === undefined || have < req.expected.size || !existsSync(part)) {
        try {
          await fetchInto(part, have, req, counters);
        } catch (e) {
          if (!(e instanceof Retriable)) throw e;
          if (attempt >= retries)
            throw new ModelmapError(
              "network",
              `downloading ${req.label}: ${e.message}; gave up after ${attempt + 1} attempt(s)`,
              { hint: "run again: the download resumes where it stopped" },
            );
          await sleep((req.retryDelayMs ?? 1000) * 2 ** attempt, req.hub.signal);
          continue;
        }
      }
      await verify(part, req);
      await rename(part, req.dest);
      return { downloaded: true, ...counters };
    }
  } catch (e) {
    if (isUnreachable(e) || e instanceof ModelmapError) throw e;
    throw new ModelmapError("network", `downloading ${req.label}: ${(e as Error).message}`, { cause: e });
  } finally {
    // An attempt refused before any byte arrived leaves nothing behind.
    const part = `${req.dest}.part`;
    if (existsSync(part) && statSync(part).size === 0) await rm(part, { force: true });
    await release();
  }
}
