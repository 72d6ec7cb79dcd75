/**
 * Tokenization through the embedded engine against llama.cpp's own tokenizer test vectors
 * (../shared/data/gguf_vocab_llamacpp: vocab-only GGUFs, inputs separated by __ggml_vocab_test__, expected ids
 * per line, produced with the Hugging Face tokenizers without special tokens).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { openGgufTokenizer } from "./tokenizer.ts";

const DIR = "../shared/data/gguf_vocab_llamacpp";

function cases(inpPath: string): Array<{ text: string; ids: number[] }> {
  const inputs = readFileSync(inpPath, "utf8").split("\n__ggml_vocab_test__\n");
  // The file ends with a separator, so the last piece is empty and not a case.
  if (inputs.at(-1) === "") inputs.pop();
  const lines = readFileSync(inpPath.replace(/\.inp$/, ".out"), "utf8").split("\n");
  assert.ok(lines.length >= inputs.length, `${inpPath}: fewer expected lines than inputs`);
  return inputs.map((text, i) => ({
    text,
    ids: (lines[i] ?? "").trim() === "" ? [] : (lines[i] ?? "").trim().split(/\s+/).map(Number),
  }));
}

test("llama.cpp tokenizer vectors: every case of every vocab with a GGUF matches", async () => {
  assert.ok(existsSync(DIR), `missing ${DIR}: the shared data folder ../shared/data is required for this test`);
  const files = readdirSync(DIR).filter((f) => f.endsWith(".gguf.inp") && existsSync(`${DIR}/${f.slice(0, -4)}`));
  assert.ok(files.length >= 10, `expected at least 10 vocab files with inputs, found ${files.length}`);
  const report: string[] = [];
  let total = 0;
  let matched = 0;
  for (const f of files.sort()) {
    const tk = await openGgufTokenizer(`${DIR}/${f.slice(0, -4)}`);
    try {
      const cs = cases(`${DIR}/${f}`);
      const bad = cs.filter((c) => JSON.stringify(tk.tokenize(c.text)) !== JSON.stringify(c.ids));
      total += cs.length;
      matched += cs.length - bad.length;
      report.push(`${f.replace(/\.gguf\.inp$/, "")}: ${cs.length - bad.length}/${cs.length}`);
      for (const b of bad.slice(0, 3)) report.push(`  ${JSON.stringify(b.text)} expected ${b.ids.join(" ")}`);
    } finally {
      await tk.close();
    }
  }
  console.log(`tokenizer vectors: ${matched}/${total} match\n${report.join("\n")}`);
  assert.equal(matched, total, report.join("\n"));
});
