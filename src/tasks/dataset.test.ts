import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parquetWriteBuffer } from "hyparquet-writer";
import { ModelmapError } from "../core/errors.ts";
import { type Doc, parseCsv, readAll } from "./dataset.ts";

const SHARED = join(import.meta.dirname, "..", "..", "..", "shared", "data");
function shared(p: string): string {
  const f = join(SHARED, p);
  if (!existsSync(f))
    throw new Error(`test data missing: ${f} (the repository expects ../shared/data; see its README)`);
  return f;
}

async function read(file: string, spec: Record<string, unknown> = {}): Promise<Doc[]> {
  return readAll([{ file, spec: { path: file, ...spec } }], "t");
}

test("CSV: quotes, doubled quotes, newlines in fields, headerless with column_names", async () => {
  assert.deepEqual(parseCsv('a,"b ""q"", c","x\ny"\r\n1,2,3\n'), [
    ["a", 'b "q", c', "x\ny"],
    ["1", "2", "3"],
  ]);
  const docs = await read(shared("mmlu_test/anatomy_test.csv"), {
    column_names: ["question", "A", "B", "C", "D", "answer"],
  });
  assert.equal(docs.length, 135);
  assert.match(String(docs[0]?.answer), /^[ABCD]$/);
});

test("JSON with a field, JSON Lines named .json, labels side file, computed fields", async () => {
  const bbh = await read(shared("bbh/navigate.json"), { field: "examples" });
  assert.equal(bbh.length, 250);
  const arc = await read(shared("nutcracker_mcq/arc-easy_test.json"), { map: { n: "options | length" } });
  assert.equal(arc.length, 2376);
  assert.equal(typeof arc[0]?.n, "number");
  const piqa = await read(shared("piqa/valid.jsonl"), { labels_file: "valid-labels.lst" });
  assert.equal(piqa.length, 1838);
  assert.equal(piqa[0]?.label, "0");
});

test("bz2 line records (llama.cpp's HellaSwag text)", async () => {
  const docs = await read(shared("hellaswag/hellaswag_val_full.txt.bz2"), {
    format: "lines",
    column_names: ["ctx", "label", "e0", "e1", "e2", "e3"],
  });
  assert.equal(docs.length, 10042);
  assert.equal(docs[0]?.ctx, "Roof shingle removal: A man is sitting on a roof. he");
  assert.equal(docs[0]?.label, "3");
});

test("Parquet", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-pq-"));
  const buf = parquetWriteBuffer({
    columnData: [
      { name: "question", data: ["q1", "q2", "q3"], type: "STRING" },
      { name: "label", data: [0, 2, 1], type: "INT32" },
    ],
  });
  writeFileSync(join(dir, "d.parquet"), new Uint8Array(buf));
  const docs = await read(join(dir, "d.parquet"));
  assert.deepEqual(
    docs.map((d) => [d.question, Number(d.label)]),
    [
      ["q1", 0],
      ["q2", 2],
      ["q3", 1],
    ],
  );
});

test("a missing file names the file expected and where to get it; bad rows name file and line", async () => {
  await assert.rejects(
    readAll([{ file: "/nope/test.jsonl", spec: { path: "test.jsonl" } }], "mytask", "https://example.org/data"),
    (e: unknown) =>
      e instanceof ModelmapError &&
      e.code === "not_found" &&
      /mytask.*\/nope\/test\.jsonl/.test(e.message) &&
      /example\.org/.test(e.hint ?? ""),
  );
  const dir = mkdtempSync(join(tmpdir(), "mm-ds-"));
  writeFileSync(join(dir, "bad.jsonl"), '{"a":1}\n{"a":\n');
  await assert.rejects(
    read(join(dir, "bad.jsonl")),
    (e: unknown) => e instanceof ModelmapError && e.location?.line === 2,
  );
});

test("unnest, where, literal_eval and pandas' NA cells (MuSR's stories, MATH's subjects, GPQA's CSVs)", async () => {
  const musr = await read(shared("musr/small_object_placements.json"), {
    unnest: "questions",
    columns: {
      narrative: "context",
      choices: "choices if choices is string else choices | string",
      answer_choice: "literal_eval(choices)[answer | int] if choices is string else choices[answer | int]",
      i: "_index",
    },
  });
  assert.equal(musr.length, 20);
  assert.deepEqual(Object.keys(musr[0] ?? {}), ["narrative", "choices", "answer_choice", "i"]);
  assert.equal(musr[0]?.choices, `['piano', "producer's desk", 'recording booth']`);
  assert.equal(musr[0]?.answer_choice, "producer's desk");
  assert.equal(musr[19]?.i, 19);
  // Five stories, four questions each: a story's text is shared by its questions.
  assert.equal(new Set(musr.map((d) => d.narrative)).size, 5);

  const algebra = await read(shared("math_hendrycks/test.jsonl"), { where: "type == 'Algebra'" });
  assert.equal(algebra.length, 1187);
  const l5 = await read(shared("math_hendrycks/test.jsonl"), {
    where: "type == 'Algebra' and level == 'Level 5'",
    map: { i: "_index" },
  });
  assert.equal(l5.length, 307);
  assert.equal(l5[306]?.i, 306);
  await assert.rejects(
    read(shared("musr/small_object_placements.json"), { unnest: "context" }),
    /'context' is not a list/,
  );

  const d = mkdtempSync(join(tmpdir(), "mm-csv-"));
  writeFileSync(join(d, "g.csv"), 'a,b,c\n,NA,x\nNone,n/a,""\n');
  assert.deepEqual(await read(join(d, "g.csv"), { na_values: "pandas" }), [
    { a: null, b: null, c: "x" },
    { a: null, b: null, c: null },
  ]);
  assert.deepEqual(await read(join(d, "g.csv"), { na_values: ["NA"] }), [
    { a: "", b: null, c: "x" },
    { a: "None", b: "n/a", c: "" },
  ]);
});
