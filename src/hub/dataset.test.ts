/**
 * Hub datasets end to end in the hub layer, against a hub on loopback serving Parquet files written here: the card's
 * configs pick the files, a split is downloaded when first prepared, a second open asks nothing, a pinned revision
 * reads that commit's data, a repository whose own files cannot be read falls back to the Parquet conversion, and
 * local copies (the hub's layout, a hub cache) are found without the hub.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { commitId, type FakeHub, startFakeHub } from "../../test/support/hub-server.ts";
import { ModelmapError } from "../core/errors.ts";
import { findLocalCopy, openHubDataset } from "./dataset.ts";
import { isUnreachable } from "./http.ts";
import type { HubSettings } from "./settings.ts";

const dir = mkdtempSync(join(tmpdir(), "mm-hubds-"));
const MAIN = commitId("main");
const V1 = commitId("v1");
const CONV = commitId("conv");

function table(questions: string[]): Uint8Array {
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: "question", data: questions, type: "STRING" },
        { name: "answer", data: questions.map((_, i) => i), type: "INT32" },
      ],
    }),
  );
}

const README = `---
configs:
- config_name: easy
  data_files:
  - split: test
    path: easy/test-*
  - split: train
    path: easy/train-*
- config_name: hard
  data_files:
  - split: test
    path: hard/test-*
---
`;

let hub: FakeHub;
before(async () => {
  hub = await startFakeHub({
    repos: [
      {
        kind: "dataset",
        id: "acme/quiz",
        refs: { main: MAIN, v1: V1 },
        commits: {
          [MAIN]: {
            "README.md": README,
            "easy/test-00000-of-00001.parquet": table(["e1", "e2", "e3"]),
            "easy/train-00000-of-00001.parquet": table(["t1"]),
            "hard/test-00000-of-00001.parquet": table(["h1", "h2"]),
          },
          [V1]: { "README.md": README, "easy/test-00000-of-00001.parquet": table(["old1"]) },
        },
      },
      {
        kind: "dataset",
        id: "acme/scripted",
        refs: { main: MAIN, "refs/convert/parquet": CONV },
        commits: {
          [MAIN]: { "scripted.py": "# a loading script", "data/train.zip": "zip", "data/test.zip": "zip" },
          [CONV]: { "default/test/0000.parquet": table(["c1", "c2"]), "default/train/0000.parquet": table(["ct"]) },
        },
      },
    ],
    pageSize: 3, // the listing comes in pages
  });
});
after(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

function settings(name: string, extra: Partial<HubSettings> = {}): HubSettings {
  return { endpoint: hub.url, offline: false, cacheDir: join(dir, name), readCaches: [], ...extra };
}

async function rows(file: string): Promise<string[]> {
  const { readFileSync } = await import("node:fs");
  const b = readFileSync(file);
  const objs = await parquetReadObjects({
    file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer,
  });
  return objs.map((o) => String(o.question));
}

test("the card's configuration picks the files; a split downloads when prepared; a second open asks nothing", async () => {
  const s = settings("cache1");
  const n0 = hub.requests.length;
  const ds = await openHubDataset({ repo: "acme/quiz", config: "easy" }, s);
  assert.deepEqual([...ds.splits.keys()], ["test", "train"]);
  assert.match(
    ds.describe,
    new RegExp(`acme/quiz at commit ${MAIN.slice(0, 12)} from ${hub.url} \\(README.md configuration 'easy'\\)`),
  );
  const test0 = ds.splits.get("test")?.[0] as string;
  assert.ok(!existsSync(test0), "nothing downloaded before prepare");
  await ds.prepare("test");
  assert.deepEqual(await rows(test0), ["e1", "e2", "e3"]);
  assert.ok(!existsSync(ds.splits.get("train")?.[0] as string), "only the split asked for");
  const asked = hub.requests.slice(n0).map((r) => r.path.split("?")[0]);
  assert.deepEqual(asked.slice(0, 2), [
    `/api/datasets/acme/quiz/revision/main`,
    `/api/datasets/acme/quiz/tree/${MAIN}`,
  ]);
  assert.ok(asked.filter((p) => p?.includes("/tree/")).length >= 2, "the paginated listing was followed");
  assert.ok(!asked.some((p) => p?.includes("hard/")), "another configuration's files are not fetched");

  const n1 = hub.requests.length;
  const again = await openHubDataset({ repo: "acme/quiz", config: "easy" }, s);
  await again.prepare("test");
  assert.equal(hub.requests.length, n1, "cache hit: no request at all");
  assert.match(again.describe, /cached in/);
  // Offline, the cached dataset still opens.
  const offline = await openHubDataset({ repo: "acme/quiz", config: "easy" }, { ...s, offline: true });
  await offline.prepare("test");
  assert.equal(hub.requests.length, n1);
  // Offline, a split never downloaded cannot be had: the error is marked unreachable.
  const err = await offline.prepare("train").catch((e: unknown) => e);
  assert.ok(isUnreachable(err), String(err));
});

test("revision pinning: a tag reads that commit's files, in the URL and in the cache", async () => {
  const s = settings("cache2");
  const ds = await openHubDataset({ repo: "acme/quiz", config: "easy", revision: "v1" }, s);
  await ds.prepare("test");
  const file = ds.splits.get("test")?.[0] as string;
  assert.ok(file.includes(V1), file);
  assert.deepEqual(await rows(file), ["old1"]);
  assert.ok(hub.requests.some((r) => r.path.startsWith(`/datasets/acme/quiz/resolve/${V1}/easy/test-`)));
  assert.ok(!ds.splits.has("train"), "v1 has no train files");
  const main = await openHubDataset({ repo: "acme/quiz", config: "easy" }, s);
  await main.prepare("test");
  assert.deepEqual(await rows(main.splits.get("test")?.[0] as string), ["e1", "e2", "e3"]);
  await assert.rejects(
    openHubDataset({ repo: "acme/quiz", config: "easy", revision: "v9" }, s),
    (e: unknown) => e instanceof ModelmapError && e.code === "not_found" && /revision not found/.test(e.message),
  );
});

test("a configuration the card does not list is named with the ones it does", async () => {
  await assert.rejects(
    openHubDataset({ repo: "acme/quiz", config: "medium" }, settings("cache3")),
    (e: unknown) =>
      e instanceof ModelmapError &&
      /no configuration 'medium' in its README\.md \(it lists easy, hard\)/.test(e.message),
  );
});

test("files modelmap cannot read: the dataset viewer's Parquet conversion stands in (not for a pinned revision)", async () => {
  const s = settings("cache4");
  const ds = await openHubDataset({ repo: "acme/scripted", config: null }, s);
  assert.match(ds.describe, /Parquet conversion \(refs\/convert\/parquet at commit .*because its data files are \.zip/);
  await ds.prepare("test");
  assert.deepEqual(await rows(ds.splits.get("test")?.[0] as string), ["c1", "c2"]);
  assert.ok(
    hub.requests.some((r) => r.path.startsWith("/api/datasets/acme/scripted/revision/refs%2Fconvert%2Fparquet")),
  );
  await assert.rejects(
    openHubDataset({ repo: "acme/scripted", config: null, revision: "main" }, s),
    /\.zip, which modelmap does not read/,
  );
});

test("offline with an empty cache: unreachable, without a request", async () => {
  const n = hub.requests.length;
  const err = await openHubDataset({ repo: "acme/quiz", config: "easy" }, settings("cache5", { offline: true })).catch(
    (e: unknown) => e,
  );
  assert.ok(isUnreachable(err));
  assert.equal(hub.requests.length, n);
});

test("local copies: the hub's folder layout under the data dir, and a hub cache, need no hub", async () => {
  const data = join(dir, "data");
  mkdirSync(join(data, "acme", "quiz", "easy"), { recursive: true });
  writeFileSync(join(data, "acme", "quiz", "README.md"), README);
  writeFileSync(join(data, "acme", "quiz", "easy", "test-00000-of-00001.parquet"), table(["l1"]));
  const local = findLocalCopy({ repo: "acme/quiz", config: "easy" }, [data]);
  assert.ok(local.found, local.skipped.join("; "));
  assert.match(local.found.describe, /the hub's layout; README\.md configuration 'easy'/);
  assert.deepEqual(await rows(local.found.splits.get("test")?.[0] as string), ["l1"]);
  // A configuration the copy lacks is skipped with the reason (a download may still serve it).
  const hard = findLocalCopy({ repo: "acme/quiz", config: "hard" }, [data]);
  assert.equal(hard.found, undefined);
  assert.match(hard.skipped.join(";"), /README\.md configuration 'hard': no file matches hard\/test-\*/);

  // The Hugging Face cache (what lm-eval's `datasets` fills): refs/main -> snapshots/COMMIT, read without a request.
  const hf = join(dir, "hf-hub");
  const snap = join(hf, "datasets--acme--quiz", "snapshots", MAIN);
  mkdirSync(join(snap, "hard"), { recursive: true });
  mkdirSync(join(hf, "datasets--acme--quiz", "refs"), { recursive: true });
  writeFileSync(join(hf, "datasets--acme--quiz", "refs", "main"), MAIN);
  writeFileSync(join(snap, "README.md"), README);
  writeFileSync(join(snap, "hard", "test-00000-of-00001.parquet"), table(["hf1"]));
  const n = hub.requests.length;
  const viaCache = await openHubDataset(
    { repo: "acme/quiz", config: "hard" },
    settings("cache6", { readCaches: [hf] }),
  );
  assert.match(viaCache.describe, /from the hub cache/);
  assert.deepEqual(await rows(viaCache.splits.get("test")?.[0] as string), ["hf1"]);
  assert.equal(hub.requests.length, n);
  // The same cache given as the data dir.
  assert.ok(findLocalCopy({ repo: "acme/quiz", config: "hard" }, [hf]).found);
});
