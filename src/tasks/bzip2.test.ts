import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Bunzip from "seek-bzip";
import { sharedData } from "../../test/support/shared-data.ts";
import { bunzipBlocks } from "./bzip2.ts";
import { readAll } from "./dataset.ts";

/** bzip2 -1 (100 kB blocks) of `text`, made by the system's bzip2. */
function bzip2(text: string): Buffer {
  const r = spawnSync("bzip2", ["-1", "-c"], { input: text, maxBuffer: 1 << 26 });
  if (r.error || r.status !== 0) throw new Error(`this test needs the bzip2 program: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

test("block by block, a real multi-block file decodes to exactly what Bunzip.decode gives", () => {
  const raw = readFileSync(sharedData("hellaswag", "hellaswag_val_full.txt.bz2"));
  const blocks = [...bunzipBlocks(raw)];
  assert.ok(blocks.length > 5, `${blocks.length} blocks`);
  assert.ok(Buffer.concat(blocks).equals(Bunzip.decode(raw)));
});

test("stopping after the first block decodes only that block", () => {
  const text = Array.from({ length: 40_000 }, (_, i) => `line ${i} ${"x".repeat(i % 17)}`).join("\n");
  const it = bunzipBlocks(bzip2(text));
  const first = it.next();
  assert.equal(first.done, false);
  assert.ok(first.value.length < text.length / 2);
  assert.ok(text.startsWith(first.value.toString("latin1")));
});

test("lines and UTF-8 characters cut by a block boundary come out whole", async () => {
  const lines = Array.from({ length: 30_000 }, (_, i) => `${i} é€ ${"ü".repeat(i % 5)}`);
  const dir = mkdtempSync(join(tmpdir(), "mm-bz2-"));
  try {
    const file = join(dir, "d.txt.bz2");
    const packed = bzip2(lines.join("\n"));
    writeFileSync(file, packed);
    const blocks = [...bunzipBlocks(packed)];
    // At least one boundary falls inside a character (a block starting with a UTF-8 continuation byte).
    assert.ok(blocks.slice(1).some((b) => ((b[0] as number) & 0xc0) === 0x80));
    const docs = await readAll([{ file, spec: { path: file, format: "lines", column_names: ["a", "b"] } }], "t");
    assert.deepEqual(
      docs.flatMap((d) => [d.a, d.b]),
      lines,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a damaged file fails with the same error as Bunzip.decode", () => {
  const packed = bzip2(Array.from({ length: 5000 }, (_, i) => `row ${i}`).join("\n"));
  for (const at of [0.3, 0.5, 0.9]) {
    const bad = Buffer.from(packed);
    const i = Math.floor(bad.length * at);
    bad[i] = (bad[i] as number) ^ 0x10;
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    const expected = message(() => Bunzip.decode(bad));
    assert.notEqual(expected, "no error");
    assert.equal(
      message(() => [...bunzipBlocks(bad)]),
      expected,
    );
  }
});
