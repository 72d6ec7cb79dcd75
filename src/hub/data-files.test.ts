import assert from "node:assert/strict";
import { test } from "node:test";
import { globToRegExp, readmeConfigs, resolveSplits, splitPatterns } from "./data-files.ts";

test("globs: * stays in a segment, ** crosses them (or none), [..] classes and [!..] negation", () => {
  assert.ok(globToRegExp("ARC-Challenge/test-*").test("ARC-Challenge/test-00000-of-00001.parquet"));
  assert.ok(!globToRegExp("ARC-Challenge/test-*").test("ARC-Challenge/sub/test-0.parquet"));
  assert.ok(globToRegExp("**/test[-._ 0-9]*").test("test.csv"));
  assert.ok(globToRegExp("**/test[-._ 0-9]*").test("a/b/test-1.csv"));
  assert.ok(!globToRegExp("**/test[-._ 0-9]*").test("a/b/testing.csv"));
  assert.ok(globToRegExp("data/**").test("data/x/y.json"));
  assert.ok(globToRegExp("[!a]*.csv").test("b.csv"));
  assert.ok(!globToRegExp("[!a]*.csv").test("a.csv"));
  assert.ok(globToRegExp("gpqa_main.csv").test("gpqa_main.csv"));
  assert.ok(!globToRegExp("gpqa_main.csv").test("gpqaXmain.csv"), "a dot is a dot");
});

test("data_files in every form datasets accepts", () => {
  assert.deepEqual(splitPatterns("x.csv"), new Map([["train", ["x.csv"]]]));
  assert.deepEqual(splitPatterns(["a", "b"]), new Map([["train", ["a", "b"]]]));
  assert.deepEqual(
    splitPatterns([
      { split: "test", path: "t-*" },
      { split: "dev", path: ["d1", "d2"] },
    ]),
    new Map([
      ["test", ["t-*"]],
      ["dev", ["d1", "d2"]],
    ]),
  );
  assert.deepEqual(splitPatterns({ validation: "v.jsonl" }), new Map([["validation", ["v.jsonl"]]]));
  assert.equal(splitPatterns(42), undefined);
});

const ARC_README = `---
language: [en]
configs:
- config_name: ARC-Challenge
  data_files:
  - split: train
    path: ARC-Challenge/train-*
  - split: test
    path: ARC-Challenge/test-*
  - split: validation
    path: ARC-Challenge/validation-*
- config_name: ARC-Easy
  data_files:
  - split: train
    path: ARC-Easy/train-*
  - split: test
    path: ARC-Easy/test-*
---
# AI2 ARC
`;
const ARC_FILES = [
  "README.md",
  "ARC-Challenge/test-00000-of-00001.parquet",
  "ARC-Challenge/train-00000-of-00001.parquet",
  "ARC-Challenge/validation-00000-of-00001.parquet",
  "ARC-Easy/test-00000-of-00001.parquet",
  "ARC-Easy/train-00000-of-00001.parquet",
];

test("README configs: the named configuration's split patterns", () => {
  assert.deepEqual(
    readmeConfigs(ARC_README)?.map((c) => c.name),
    ["ARC-Challenge", "ARC-Easy"],
  );
  const r = resolveSplits(ARC_FILES, { readme: ARC_README, config: "ARC-Challenge" });
  assert.ok(r.ok);
  assert.deepEqual(
    r.splits,
    new Map([
      ["train", ["ARC-Challenge/train-00000-of-00001.parquet"]],
      ["test", ["ARC-Challenge/test-00000-of-00001.parquet"]],
      ["validation", ["ARC-Challenge/validation-00000-of-00001.parquet"]],
    ]),
  );
  const missing = resolveSplits(ARC_FILES, { readme: ARC_README, config: "ARC-Hard" });
  assert.ok(!missing.ok);
  assert.match(missing.reason, /no configuration 'ARC-Hard' in its README\.md \(it lists ARC-Challenge, ARC-Easy\)/);
  const none = resolveSplits(ARC_FILES, { readme: ARC_README, config: null });
  assert.ok(!none.ok);
  assert.match(none.reason, /several configurations and none is the default/);
});

test("README configs: default: true picks the configuration when the task names none; CSV files (GPQA's layout)", () => {
  const readme = `---
configs:
- config_name: gpqa_extended
  data_files: gpqa_extended.csv
- config_name: gpqa_main
  data_files: gpqa_main.csv
  default: true
---
`;
  const files = ["README.md", "gpqa_extended.csv", "gpqa_main.csv", "gpqa_diamond.csv"];
  const r = resolveSplits(files, { readme, config: null });
  assert.ok(r.ok);
  assert.deepEqual(r.splits, new Map([["train", ["gpqa_main.csv"]]]));
});

test("default patterns: shards, then split folders, then split file names, else everything is train", () => {
  const sharded = resolveSplits(
    [
      "data/train-00000-of-00002.parquet",
      "data/train-00001-of-00002.parquet",
      "data/test-00000-of-00001.parquet",
      "README.md",
    ],
    {
      config: null,
    },
  );
  assert.ok(sharded.ok);
  assert.deepEqual(sharded.splits.get("train"), [
    "data/train-00000-of-00002.parquet",
    "data/train-00001-of-00002.parquet",
  ]);
  const byName = resolveSplits(["train.jsonl", "dev.jsonl", "test.jsonl"], { config: null });
  assert.ok(byName.ok);
  assert.deepEqual([...byName.splits.keys()], ["train", "validation", "test"]);
  assert.deepEqual(byName.splits.get("validation"), ["dev.jsonl"]);
  const byDir = resolveSplits(["data/test/a.csv", "data/test/b.csv", "data/validation/a.csv"], { config: null });
  assert.ok(byDir.ok);
  assert.deepEqual(byDir.splits.get("test"), ["data/test/a.csv", "data/test/b.csv"]);
  const all = resolveSplits(["questions.jsonl", ".hidden/x.jsonl"], { config: null });
  assert.ok(all.ok);
  assert.deepEqual(all.splits, new Map([["train", ["questions.jsonl"]]]));
});

test("the Parquet conversion's layout: CONFIG/SPLIT/NNNN.parquet with any split name, partial- stripped", () => {
  const files = [
    "all/auxiliary_train/0000.parquet",
    "all/test/0000.parquet",
    "all/partial-dev/0000.parquet",
    "abstract_algebra/test/0000.parquet",
  ];
  const r = resolveSplits(files, { config: "all" });
  assert.ok(r.ok);
  assert.deepEqual(
    r.splits,
    new Map([
      ["auxiliary_train", ["all/auxiliary_train/0000.parquet"]],
      ["dev", ["all/partial-dev/0000.parquet"]],
      ["test", ["all/test/0000.parquet"]],
    ]),
  );
  const no = resolveSplits(files, { config: "anatomy" });
  assert.ok(!no.ok);
  assert.match(no.reason, /no configuration 'anatomy'/);
});

test("files modelmap cannot read are refused with the reason (a loading script's archive)", () => {
  const r = resolveSplits(["data/train.zip", "data/test.zip", "hellaswag.py"], { config: null });
  assert.ok(!r.ok);
  assert.match(r.reason, /\.zip, which modelmap does not read/);
});

test("dataset_kwargs data_files/data_dir replace the card's configs", () => {
  const r = resolveSplits(["data/default.jsonl", "README.md"], {
    readme: ARC_README,
    config: null,
    dataFiles: { test: "data/default.jsonl" },
  });
  assert.ok(r.ok);
  assert.deepEqual(r.splits, new Map([["test", ["data/default.jsonl"]]]));
  const none = resolveSplits(["a.jsonl"], { config: null, dataFiles: { test: "b.jsonl" } });
  assert.ok(!none.ok);
  assert.match(none.reason, /no file matches b\.jsonl/);
});
