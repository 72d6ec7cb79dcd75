/**
 * The download code against a hub on loopback (test/support/hub-server.ts): fresh download, cache hit without a
 * request, checksum mismatch, resume after a dropped connection (within a call and in a later run), two downloads
 * of one file at once, a gated repository, an unreachable hub.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { commitId, type FakeHub, startFakeHub } from "../../test/support/hub-server.ts";
import { ModelmapError } from "../core/errors.ts";
import { type DownloadProgress, downloadFile } from "./download.ts";
import { fileUrl, isUnreachable, type RepoId } from "./http.ts";

const dir = mkdtempSync(join(tmpdir(), "mm-dl-"));
const C1 = commitId("c1");
const BIG = randomBytes(300_000);
const SMALL = "a small text file\n";
const repo: RepoId = { kind: "dataset", id: "acme/data" };
const gatedRepo: RepoId = { kind: "dataset", id: "acme/gated" };
let hub: FakeHub;

before(async () => {
  hub = await startFakeHub({
    repos: [
      { ...repo, refs: { main: C1 }, commits: { [C1]: { "big.parquet": BIG, "notes.txt": SMALL } } },
      { ...gatedRepo, refs: { main: C1 }, commits: { [C1]: { "t.parquet": BIG } }, gated: true },
    ],
    tokens: ["good-token"],
  });
});
after(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const gitSha1 = (s: string) =>
  createHash("sha1")
    .update(`blob ${Buffer.byteLength(s)}\0${s}`)
    .digest("hex");

function request(dest: string, path = "big.parquet", extra: Partial<Parameters<typeof downloadFile>[0]> = {}) {
  return {
    url: fileUrl(hub.url, repo, C1, path),
    dest,
    label: `acme/data/${path}`,
    expected:
      path === "big.parquet" ? { size: BIG.length, sha256: sha(BIG) } : { size: SMALL.length, gitSha1: gitSha1(SMALL) },
    hub: { endpoint: hub.url },
    repo,
    retryDelayMs: 10,
    ...extra,
  };
}

function recorder() {
  const events: string[] = [];
  let bytes = 0;
  const progress: DownloadProgress = {
    start(label, total, from) {
      events.push(`start ${label} ${total} ${from}`);
      return {
        advance: (n) => {
          bytes += n;
        },
        end: (ok) => events.push(`end ${ok}`),
      };
    },
  };
  return { progress, events, bytes: () => bytes };
}

const fileRequests = () => hub.requests.filter((r) => r.path.includes("/resolve/") || r.path.startsWith("/cdn/"));

test("fresh download: follows the hub's redirect, checks sha256, reports progress; then a cache hit asks nothing", async () => {
  const dest = join(dir, "fresh", "big.parquet");
  const rec = recorder();
  const before = hub.requests.length;
  const r = await downloadFile(request(dest, "big.parquet", { progress: rec.progress }));
  assert.deepEqual(
    { downloaded: r.downloaded, fetched: r.fetched, resumed: r.resumed },
    {
      downloaded: true,
      fetched: BIG.length,
      resumed: 0,
    },
  );
  assert.ok(readFileSync(dest).equals(BIG));
  assert.ok(!existsSync(`${dest}.part`) && !existsSync(`${dest}.lock`));
  assert.deepEqual(rec.events, [`start acme/data/big.parquet ${BIG.length} 0`, "end true"]);
  assert.equal(rec.bytes(), BIG.length);
  const paths = hub.requests.slice(before).map((q) => q.path.split("?")[0]);
  assert.deepEqual(paths, [`/datasets/acme/data/resolve/${C1}/big.parquet`, `/cdn/${sha(BIG)}`]);

  const n = hub.requests.length;
  const again = await downloadFile(request(dest));
  assert.equal(again.downloaded, false);
  assert.equal(hub.requests.length, n, "a cached file costs no request");
});

test("a small (non-LFS) file is checked against its git blob id", async () => {
  const dest = join(dir, "small", "notes.txt");
  await downloadFile(request(dest, "notes.txt"));
  assert.equal(readFileSync(dest, "utf8"), SMALL);
  await assert.rejects(
    downloadFile(request(join(dir, "small2", "notes.txt"), "notes.txt", { expected: { gitSha1: "0".repeat(40) } })),
    /git blob id mismatch/,
  );
});

test("checksum mismatch: refused, and neither the file nor the partial download is left", async () => {
  const dest = join(dir, "bad", "big.parquet");
  await assert.rejects(
    downloadFile(request(dest, "big.parquet", { expected: { size: BIG.length, sha256: "f".repeat(64) } })),
    (e: unknown) =>
      e instanceof ModelmapError &&
      e.code === "network" &&
      /acme\/data\/big\.parquet: sha256 mismatch after download \(expected f{64}, got [0-9a-f]{64}\); the downloaded file was removed/.test(
        e.message,
      ),
  );
  assert.ok(!existsSync(dest) && !existsSync(`${dest}.part`) && !existsSync(`${dest}.lock`));
});

test("resume: a dropped connection leaves the .part; the next run asks for the rest with a Range request", async () => {
  const dest = join(dir, "resume", "big.parquet");
  hub.cut("big.parquet", 100_000);
  const rec = recorder();
  await assert.rejects(
    downloadFile(request(dest, "big.parquet", { retries: 0, progress: rec.progress })),
    (e: unknown) => e instanceof ModelmapError && e.code === "network" && /run again/.test(e.hint ?? ""),
  );
  assert.ok(!existsSync(dest));
  const have = statSync(`${dest}.part`).size;
  assert.ok(have >= 100_000 && have < BIG.length, `part holds ${have} bytes`);
  assert.deepEqual(rec.events.at(-1), "end false");

  const n = hub.requests.length;
  const r = await downloadFile(request(dest));
  assert.equal(r.downloaded, true);
  assert.equal(r.resumed, 1);
  assert.equal(r.fetched, BIG.length - have, "only the rest is fetched");
  assert.ok(readFileSync(dest).equals(BIG), "the resumed file checks out");
  const ranges = hub.requests.slice(n).map((q) => q.range);
  assert.ok(ranges.includes(`bytes=${have}-`), `requests carried ${JSON.stringify(ranges)}`);
});

test("resume within one call: the dropped connection is retried from where it stopped", async () => {
  const dest = join(dir, "retry", "big.parquet");
  hub.cut("big.parquet", 50_000);
  const n = hub.requests.length;
  const r = await downloadFile(request(dest));
  assert.equal(r.downloaded, true);
  assert.equal(r.resumed, 1);
  assert.ok(readFileSync(dest).equals(BIG));
  assert.equal(hub.requests.slice(n).filter((q) => q.range?.startsWith("bytes=")).length, 2, "resolve + CDN, resumed");
});

test("two downloads of one file at once: one fetches, the other waits on the lock and finds the file", async () => {
  const dest = join(dir, "race", "big.parquet");
  const n = fileRequests().length;
  const [a, b] = await Promise.all([downloadFile(request(dest)), downloadFile(request(dest))]);
  assert.deepEqual([a.downloaded, b.downloaded].sort(), [false, true]);
  assert.equal(fileRequests().length - n, 2, "one resolve and one CDN request in all");
  assert.ok(readFileSync(dest).equals(BIG));
});

test("two processes downloading one file: one fetches, the other waits on its lock", async () => {
  const { spawn } = await import("node:child_process");
  const dest = join(dir, "procs", "big.parquet");
  const script = join(dir, "child.mts");
  writeFileSync(
    script,
    `import { downloadFile } from ${JSON.stringify(join(import.meta.dirname, "download.ts"))};
const [url, dest, size, sha256] = process.argv.slice(2);
const r = await downloadFile({ url, dest, label: "big", expected: { size: Number(size), sha256 }, hub: { endpoint: new URL(url).origin }, repo: { kind: "dataset", id: "acme/data" } });
process.stdout.write(JSON.stringify(r));
`,
  );
  hub.slow("big.parquet", 1500);
  const n = fileRequests().length;
  const run = () =>
    new Promise<{ downloaded: boolean }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", script, fileUrl(hub.url, repo, C1, "big.parquet"), dest, String(BIG.length), sha(BIG)],
        { cwd: join(import.meta.dirname, "..", ".."), stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => {
        out += d;
      });
      child.stderr.on("data", (d) => {
        err += d;
      });
      child.on("close", (code) =>
        code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exit ${code}: ${err}`)),
      );
    });
  try {
    const results = await Promise.all([run(), run()]);
    assert.deepEqual(results.map((r) => r.downloaded).sort(), [false, true]);
  } finally {
    hub.slow("big.parquet", 0);
  }
  assert.equal(fileRequests().length - n, 2, "one resolve and one CDN request in all");
  assert.ok(readFileSync(dest).equals(BIG));
});

test("a lock held by a live process is waited on; a dead owner's lock is taken over", async () => {
  const dest = join(dir, "locks", "big.parquet");
  await downloadFile(request(join(dir, "locks", "warm.parquet"))); // makes the folder
  // Live owner (this process): the download waits until the owner finishes and releases.
  writeFileSync(`${dest}.lock`, JSON.stringify({ pid: process.pid, host: (await import("node:os")).hostname() }));
  const n = fileRequests().length;
  setTimeout(() => {
    writeFileSync(dest, BIG);
    rmSync(`${dest}.lock`);
  }, 300);
  const waited = await downloadFile(request(dest));
  assert.equal(waited.downloaded, false);
  assert.equal(fileRequests().length, n, "the waiter downloaded nothing");
  // Dead owner: a pid that does not exist on this host.
  const dest2 = join(dir, "locks", "big2.parquet");
  writeFileSync(`${dest2}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import("node:os")).hostname() }));
  const took = await downloadFile(request(dest2));
  assert.equal(took.downloaded, true);
  assert.ok(!existsSync(`${dest2}.lock`));
});

test("gated: 401 without a token and 403 with a refused one say to accept the terms and set HF_TOKEN", async () => {
  const req = (token?: string) => ({
    ...request(join(dir, "gated", `t-${token ?? "none"}.parquet`)),
    url: fileUrl(hub.url, gatedRepo, C1, "t.parquet"),
    repo: gatedRepo,
    hub: { endpoint: hub.url, ...(token ? { token } : {}) },
  });
  for (const [token, status] of [
    [undefined, 401],
    ["bad-token", 403],
  ] as const)
    await assert.rejects(downloadFile(req(token)), (e: unknown) => {
      assert.ok(e instanceof ModelmapError);
      assert.equal(e.code, "auth");
      assert.match(e.message, new RegExp(`HTTP ${status} from the hub`));
      assert.match(e.hint ?? "", /gated: accept the terms on the hub and set HF_TOKEN/);
      assert.match(e.hint ?? "", new RegExp(`${hub.url}/datasets/acme/gated`));
      return true;
    });
  assert.ok(!existsSync(join(dir, "gated", "t-none.parquet.part")), "a refused download leaves no file");
  const n = hub.requests.length;
  const ok = await downloadFile(req("good-token"));
  assert.equal(ok.downloaded, true);
  assert.equal(hub.requests[n]?.auth, "Bearer good-token");
});

test("an unreachable hub (connection refused) is marked so, for the offline message", async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const err = await downloadFile({
    ...request(join(dir, "down", "x.parquet")),
    url: `http://127.0.0.1:${port}/datasets/acme/data/resolve/${C1}/big.parquet`,
  }).catch((e: unknown) => e);
  assert.ok(isUnreachable(err), String(err));
  assert.match((err as Error).message, /cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
});
