import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type ResolvedFile, readDocs } from "./dataset.ts";
import { cachedDocCount, docCountKey } from "./doc-count-cache.ts";

const dir = mkdtempSync(join(tmpdir(), "mm-doccount-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Counts the way TaskData.count does, and says how often it really read the file. */
function counter(rf: ResolvedFile) {
  const state = { reads: 0 };
  const count = async () => {
    state.reads++;
    let n = 0;
    for await (const _ of readDocs(rf, "t", undefined, { raw: true })) n++;
    return n;
  };
  return { state, count };
}

test("a count is made once, then read back; the file's size or time changing makes it again", async () => {
  const file = join(dir, "a.jsonl");
  writeFileSync(file, '{"q":1}\n{"q":2}\n{"q":3}\n');
  const rf: ResolvedFile = { spec: { path: "a.jsonl" }, file };
  const cache = join(dir, "counts");
  const { state, count } = counter(rf);
  assert.equal(await cachedDocCount(cache, rf, true, count), 3);
  assert.equal(await cachedDocCount(cache, rf, true, count), 3);
  assert.equal(state.reads, 1);
  appendFileSync(file, '{"q":4}\n');
  assert.equal(await cachedDocCount(cache, rf, true, count), 4);
  assert.equal(state.reads, 2);
  // Same size, another time (an edit in place): counted again.
  writeFileSync(file, '{"q":5}\n{"q":6}\n{"q":7}\n{"q":8}\n'.replace('{"q":8}\n', '{"q":9}\n'));
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  assert.equal(await cachedDocCount(cache, rf, true, count), 4);
  assert.equal(state.reads, 3);
  // Another spec for the same file (say, a `where`) is another entry.
  const filtered: ResolvedFile = { spec: { path: "a.jsonl", where: "q > 6" }, file };
  assert.notEqual(docCountKey(filtered, true), docCountKey(rf, true));
  let n = 0;
  for await (const _ of readDocs(filtered, "t", undefined, { raw: true })) n++;
  assert.equal(await cachedDocCount(cache, filtered, true, async () => n), 2);
});

test("a corrupt, truncated or foreign entry is a miss, counted and rewritten; no folder means no cache", async () => {
  const file = join(dir, "b.txt.bz2");
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`).join("\n");
  writeFileSync(file, spawnSync("bzip2", ["-c"], { input: `${lines}\n` }).stdout);
  const rf: ResolvedFile = { spec: { path: "b.txt.bz2", column_names: ["a", "b"] }, file };
  const cache = join(dir, "counts-b");
  const { state, count } = counter(rf);
  assert.equal(await cachedDocCount(cache, rf, true, count), 20);
  const [entry] = readdirSync(cache);
  assert.ok(entry);
  const path = join(cache, entry);
  const good = readFileSync(path, "utf8");
  for (const bad of [good.slice(0, good.length / 2), "not json", JSON.stringify({ key: "other", n: 7 }), "{}"]) {
    writeFileSync(path, bad);
    assert.equal(await cachedDocCount(cache, rf, true, count), 20);
    assert.equal(readFileSync(path, "utf8"), good, "the entry is written again");
  }
  assert.equal(state.reads, 5);
  // No folder: counted each time.
  assert.equal(await cachedDocCount(undefined, rf, true, count), 20);
  assert.equal(state.reads, 6);
});
