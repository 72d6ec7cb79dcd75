import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encodeRaw, HOSTILE_GGUFS, tinyRaw, UNLOADABLE_GGUFS } from "../../test/support/hostile-gguf.ts";
import { createTinyModel } from "../../test/support/tiny-model.ts";
import { ModelmapError } from "../core/errors.ts";
import { checkGgufForEngine } from "./check.ts";
import { metaNumber, metaString, readGgufHeader } from "./reader.ts";
import { encodeGguf } from "./writer.ts";

const dir = mkdtempSync(join(tmpdir(), "modelmap-gguf-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("writer output reads back: every value type, tensor infos, 32-byte aligned data", () => {
  const data = new Float32Array([1, 2, 3, 4, 5, 6]);
  const buf = encodeGguf({
    metadata: [
      ["a.u8", { type: "u8", value: 255 }],
      ["a.i8", { type: "i8", value: -3 }],
      ["a.u16", { type: "u16", value: 65535 }],
      ["a.i16", { type: "i16", value: -300 }],
      ["a.u32", { type: "u32", value: 4_000_000_000 }],
      ["a.i32", { type: "i32", value: -70000 }],
      ["a.f32", { type: "f32", value: 0.5 }],
      ["a.f64", { type: "f64", value: 1e-300 }],
      ["a.u64", { type: "u64", value: 2n ** 40n }],
      ["a.i64", { type: "i64", value: -5 }],
      ["a.bool", { type: "bool", value: true }],
      ["a.str", { type: "string", value: "héllo ✓" }],
      ["a.strs", { type: "array", itemType: "string", value: ["x", "", "日本"] }],
      ["a.ints", { type: "array", itemType: "i32", value: [1, -2, 3] }],
    ],
    tensors: [
      { name: "t.odd", dims: [3], data: new Float32Array([7, 8, 9]) },
      { name: "t.mat", dims: [3, 2], data },
    ],
  });
  const p = join(dir, "kv.gguf");
  writeFileSync(p, buf);
  const h = readGgufHeader(p);
  assert.equal(h.version, 3);
  assert.deepEqual(
    { ...h.metadata },
    {
      "a.u8": 255,
      "a.i8": -3,
      "a.u16": 65535,
      "a.i16": -300,
      "a.u32": 4_000_000_000,
      "a.i32": -70000,
      "a.f32": 0.5,
      "a.f64": 1e-300,
      "a.u64": 2 ** 40,
      "a.i64": -5,
      "a.bool": true,
      "a.str": "héllo ✓",
      "a.strs": ["x", "", "日本"],
      "a.ints": [1, -2, 3],
      "general.alignment": 32,
    },
  );
  assert.equal(h.dataOffset % 32, 0);
  assert.deepEqual(
    h.tensors.map((t) => [t.name, t.dims, t.type, t.offset]),
    [
      ["t.odd", [3], 0, 0],
      ["t.mat", [3, 2], 0, 32],
    ],
  );
  const mat = h.tensors[1];
  assert.ok(mat);
  const back = new Float32Array(
    buf.buffer.slice(buf.byteOffset + h.dataOffset + mat.offset, buf.byteOffset + h.dataOffset + mat.offset + 24),
  );
  assert.deepEqual([...back], [...data]);
});

test("writer rejects a tensor whose dims do not match its data, and duplicate keys", () => {
  assert.throws(
    () => encodeGguf({ metadata: [], tensors: [{ name: "t", dims: [2, 2], data: new Float32Array(3) }] }),
    /dims 2x2/,
  );
  const kv = ["k", { type: "u8", value: 1 }] as const;
  assert.throws(() => encodeGguf({ metadata: [kv, kv], tensors: [] }), /duplicate GGUF key k/);
});

test("reader names the file when it is not GGUF", () => {
  const p = join(dir, "not.gguf");
  writeFileSync(p, "definitely not gguf at all");
  assert.throws(() => readGgufHeader(p), /not\.gguf: not a GGUF file/);
  assert.throws(() => readGgufHeader(join(dir, "missing.gguf")), /cannot open GGUF file/);
});

test("tiny model: deterministic from the seed, llama keys and tensors present", () => {
  const a = createTinyModel(join(dir, "a.gguf"), { seed: 5 });
  const b = createTinyModel(join(dir, "b.gguf"), { seed: 5 });
  const c = createTinyModel(join(dir, "c.gguf"), { seed: 6 });
  assert.equal(a.sha256, b.sha256);
  assert.notEqual(a.sha256, c.sha256);
  const h = readGgufHeader(a.path);
  assert.equal(metaString(h, "general.architecture"), "llama");
  assert.equal(metaString(h, "tokenizer.ggml.model"), "gpt2");
  assert.equal(metaNumber(h, "llama.block_count"), 2);
  assert.equal(metaNumber(h, "tokenizer.ggml.bos_token_id"), a.bosId);
  assert.equal(metaString(h, "tokenizer.chat_template"), a.chatTemplate);
  const names = new Set(h.tensors.map((t) => t.name));
  for (const n of [
    "token_embd.weight",
    "output_norm.weight",
    "output.weight",
    "blk.1.attn_k.weight",
    "blk.1.ffn_down.weight",
  ]) {
    assert.ok(names.has(n), n);
  }
  assert.deepEqual(h.tensors.find((t) => t.name === "blk.0.attn_k.weight")?.dims, [64, 32]);
  const none = createTinyModel(join(dir, "d.gguf"), { chatTemplate: null });
  assert.equal(readGgufHeader(none.path).metadata["tokenizer.chat_template"], undefined);
  assert.ok(existsSync(none.path));
});

test("reader parses the real llama-2 tiny GGUF header", () => {
  const p = "../shared/data/tiny_gguf_models/llama-2-tiny-random.gguf";
  assert.ok(existsSync(p), `missing ${p}: the shared data folder ../shared/data is required for this test`);
  const h = readGgufHeader(p);
  assert.equal(h.tensors.length, 12);
  assert.equal(metaNumber(h, "llama.embedding_length"), 8);
  assert.equal((h.metadata["tokenizer.ggml.tokens"] as string[]).length, 32000);
});

test("the engine check refuses every crafted or damaged header with the file and the key or tensor named", () => {
  const base = tinyRaw(dir);
  for (const h of HOSTILE_GGUFS) {
    const p = join(dir, `hostile-${h.name}.gguf`);
    writeFileSync(p, h.bytes(base));
    let message = "";
    try {
      checkGgufForEngine(p);
    } catch (e) {
      assert.ok(e instanceof ModelmapError, `${h.name}: ${String(e)}`);
      assert.equal(e.code, "input", h.name);
      assert.equal(e.location?.file, p, h.name);
      message = e.message;
    }
    assert.match(message, h.expect, h.name);
  }
  // The untouched model passes, and so do files only llama.cpp's model loader can judge.
  const ok = join(dir, "hostile-base.gguf");
  writeFileSync(ok, encodeRaw(base));
  assert.equal(checkGgufForEngine(ok).tensors.length, base.tensors.length);
  for (const h of UNLOADABLE_GGUFS) {
    const p = join(dir, `unloadable-${h.name}.gguf`);
    writeFileSync(p, h.bytes(base));
    assert.doesNotThrow(() => checkGgufForEngine(p), h.name);
  }
});
