/**
 * Crafted and damaged GGUF files for bad-input tests: a byte-level encoder that writes whatever a header claims
 * (counts, types, offsets) and a table of variants of a tiny valid model, each damaged in one way. The header
 * counts of 2^40 and the nested arrays are the ones that crashed node-llama-cpp's reader (issue 19 item 6).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GGUF_MAGIC, GgufType, SCALAR_SIZES } from "../../src/gguf/format.ts";
import { type GgufMetaValue, readGgufHeader } from "../../src/gguf/reader.ts";
import { buildTinyModel } from "./tiny-model.ts";

export interface RawKv {
  key: string;
  type: number;
  itemType?: number;
  /** A value to encode with type/itemType, or the raw bytes that follow the type id. */
  value: GgufMetaValue | { raw: Buffer };
}

export interface RawTensor {
  name: string;
  dims: Array<number | bigint>;
  type: number;
  offset: number | bigint;
}

export interface RawGguf {
  magic: number;
  version: number;
  /** What the header claims; default: the real counts. */
  nTensors?: bigint;
  nKv?: bigint;
  kvs: RawKv[];
  tensors: RawTensor[];
  alignment: number;
  data: Buffer;
}

class Bytes {
  parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.push(b);
  }
  u64(v: number | bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.push(b);
  }
  scalar(type: number, v: GgufMetaValue): void {
    const b = Buffer.alloc(SCALAR_SIZES[type] ?? 0);
    switch (type) {
      case GgufType.UINT8:
        b.writeUInt8(Number(v));
        break;
      case GgufType.INT8:
        b.writeInt8(Number(v));
        break;
      case GgufType.UINT16:
        b.writeUInt16LE(Number(v));
        break;
      case GgufType.INT16:
        b.writeInt16LE(Number(v));
        break;
      case GgufType.UINT32:
        b.writeUInt32LE(Number(v));
        break;
      case GgufType.INT32:
        b.writeInt32LE(Number(v));
        break;
      case GgufType.FLOAT32:
        b.writeFloatLE(Number(v));
        break;
      case GgufType.FLOAT64:
        b.writeDoubleLE(Number(v));
        break;
      case GgufType.BOOL:
        b.writeUInt8(v ? 1 : 0);
        break;
      case GgufType.UINT64:
        b.writeBigUInt64LE(BigInt(v as number));
        break;
      case GgufType.INT64:
        b.writeBigInt64LE(BigInt(v as number));
        break;
      default:
        throw new Error(`not a scalar type ${type}`);
    }
    this.push(b);
  }
  value(type: number, itemType: number | undefined, v: GgufMetaValue): void {
    if (type === GgufType.STRING) this.str(String(v));
    else if (type === GgufType.ARRAY) {
      const items = v as GgufMetaValue[];
      this.u32(itemType ?? GgufType.UINT8);
      this.u64(items.length);
      for (const x of items) this.value(itemType ?? GgufType.UINT8, undefined, x);
    } else this.scalar(type, v);
  }
  concat(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function encodeRaw(g: RawGguf): Buffer {
  const w = new Bytes();
  w.u32(g.magic);
  w.u32(g.version);
  w.u64(g.nTensors ?? BigInt(g.tensors.length));
  w.u64(g.nKv ?? BigInt(g.kvs.length));
  for (const kv of g.kvs) {
    w.str(kv.key);
    w.u32(kv.type);
    if (typeof kv.value === "object" && kv.value !== null && "raw" in kv.value) w.push(kv.value.raw);
    else w.value(kv.type, kv.itemType, kv.value);
  }
  for (const t of g.tensors) {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type);
    w.u64(t.offset);
  }
  const padTo = Math.ceil(w.length / g.alignment) * g.alignment;
  w.push(Buffer.alloc(padTo - w.length));
  w.push(g.data);
  return w.concat();
}

/** The tiny llama model as a RawGguf, to damage. */
export function tinyRaw(dir: string): RawGguf {
  const { buffer } = buildTinyModel({ seed: 3 });
  const p = join(dir, "tiny-source.gguf");
  writeFileSync(p, buffer);
  const h = readGgufHeader(p);
  const kvs: RawKv[] = Object.entries(h.metadata).map(([key, value]) => {
    const t = h.types[key] ?? { type: GgufType.STRING };
    return { key, type: t.type, ...(t.itemType !== undefined ? { itemType: t.itemType } : {}), value };
  });
  return {
    magic: GGUF_MAGIC,
    version: h.version,
    kvs,
    tensors: h.tensors.map((t) => ({ ...t, dims: [...t.dims] })),
    alignment: h.alignment,
    data: buffer.subarray(h.dataOffset),
  };
}

function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
}
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

export interface HostileGguf {
  name: string;
  /** Words the error must contain (besides the file name). */
  expect: RegExp;
  bytes: (base: RawGguf) => Buffer;
}

const withKv = (g: RawGguf, kv: RawKv): RawGguf => ({ ...g, kvs: [...g.kvs, kv] });
const without = (g: RawGguf, key: string): RawGguf => ({ ...g, kvs: g.kvs.filter((k) => k.key !== key) });
const setKv = (g: RawGguf, key: string, kv: Omit<RawKv, "key">): RawGguf => ({
  ...g,
  kvs: g.kvs.map((k) => (k.key === key ? { key, ...kv } : k)),
});
const tensor0 = (g: RawGguf, f: (t: RawTensor) => RawTensor): RawGguf => ({
  ...g,
  tensors: g.tensors.map((t, i) => (i === 0 ? f(t) : t)),
});

/**
 * Damaged files that modelmap's own check must refuse before the engine (exit 2, file named). Each is a valid
 * tiny model with one thing wrong, or a header that claims more than the file holds.
 */
export const HOSTILE_GGUFS: HostileGguf[] = [
  { name: "empty", expect: /not a GGUF file/, bytes: () => Buffer.alloc(0) },
  { name: "magic-only", expect: /not a valid GGUF file/, bytes: () => u32(GGUF_MAGIC) },
  { name: "text", expect: /not a GGUF file/, bytes: () => Buffer.from("this is not a model\n") },
  { name: "version-1", expect: /GGUF version 1/, bytes: (g) => encodeRaw({ ...g, version: 1 }) },
  {
    name: "version-big-endian",
    expect: /GGUF version 50331648/,
    bytes: (g) => encodeRaw({ ...g, version: 0x03000000 }),
  },
  {
    name: "tensor-count-3x2^30",
    expect: /tensor count is 3221225472/,
    bytes: (g) => encodeRaw({ ...g, nTensors: 3n * 2n ** 30n }),
  },
  {
    name: "kv-count-2^40",
    expect: /metadata count is 1099511627776/,
    bytes: (g) => encodeRaw({ ...g, nKv: 2n ** 40n }),
  },
  {
    name: "array-count-2^40",
    expect: /array length is 1099511627776/,
    bytes: (g) =>
      encodeRaw(
        withKv(g, {
          key: "evil.array",
          type: GgufType.ARRAY,
          value: { raw: Buffer.concat([u32(GgufType.UINT8), u64(2n ** 40n)]) },
        }),
      ),
  },
  {
    name: "string-array-count-2^40",
    expect: /array length is 1099511627776/,
    bytes: (g) =>
      encodeRaw(
        withKv(g, {
          key: "evil.strings",
          type: GgufType.ARRAY,
          value: { raw: Buffer.concat([u32(GgufType.STRING), u64(2n ** 40n)]) },
        }),
      ),
  },
  {
    name: "string-length-2^50",
    expect: /length of a string is 1125899906842624/,
    bytes: (g) => encodeRaw(withKv(g, { key: "evil.string", type: GgufType.STRING, value: { raw: u64(2n ** 50n) } })),
  },
  {
    name: "key-length-2^50",
    expect: /length of metadata key \d+ is 1125899906842624/,
    bytes: (g) => {
      const head = encodeRaw({
        ...g,
        nKv: BigInt(g.kvs.length + 1),
        tensors: [],
        nTensors: 0n,
        alignment: 1,
        data: Buffer.alloc(0),
      });
      return Buffer.concat([head, u64(2n ** 50n), Buffer.alloc(64)]);
    },
  },
  {
    name: "nested-arrays-500k",
    expect: /arrays nested more than 4 deep/,
    bytes: (g) => {
      const one = Buffer.concat([u32(GgufType.ARRAY), u64(1n)]);
      const raw = Buffer.concat([...Array.from({ length: 500_000 }, () => one), u32(GgufType.UINT8), u64(0n)]);
      return encodeRaw(withKv(g, { key: "evil.nested", type: GgufType.ARRAY, value: { raw } }));
    },
  },
  {
    name: "array-of-arrays",
    expect: /array of arrays/,
    bytes: (g) =>
      encodeRaw(
        withKv(g, {
          key: "odd.matrix",
          type: GgufType.ARRAY,
          itemType: GgufType.ARRAY,
          value: {
            raw: Buffer.concat([u32(GgufType.ARRAY), u64(1n), u32(GgufType.UINT8), u64(2n), Buffer.from([1, 2])]),
          },
        }),
      ),
  },
  {
    name: "unknown-value-type",
    expect: /unknown value type 99/,
    bytes: (g) => encodeRaw(withKv(g, { key: "odd.type", type: 99, value: { raw: Buffer.alloc(8) } })),
  },
  {
    name: "unknown-array-item-type",
    expect: /unknown array item type 77/,
    bytes: (g) =>
      encodeRaw(
        withKv(g, { key: "odd.items", type: GgufType.ARRAY, value: { raw: Buffer.concat([u32(77), u64(1n)]) } }),
      ),
  },
  {
    name: "duplicate-key",
    expect: /general\.name.*appears twice/,
    bytes: (g) => encodeRaw(withKv(g, { key: "general.name", type: GgufType.STRING, value: "again" })),
  },
  {
    name: "empty-key",
    expect: /is empty/,
    bytes: (g) => encodeRaw(withKv(g, { key: "", type: GgufType.UINT8, value: 1 })),
  },
  {
    name: "alignment-string",
    expect: /general\.alignment must be a u32/,
    bytes: (g) => encodeRaw(setKv(g, "general.alignment", { type: GgufType.STRING, value: "32" })),
  },
  {
    name: "alignment-not-power-of-2",
    expect: /general\.alignment 48 is not a power of 2/,
    bytes: (g) => encodeRaw({ ...setKv(g, "general.alignment", { type: GgufType.UINT32, value: 48 }), alignment: 48 }),
  },
  {
    name: "no-architecture",
    expect: /general\.architecture is missing/,
    bytes: (g) => encodeRaw(without(g, "general.architecture")),
  },
  {
    name: "vocab-only",
    expect: /no tensors/,
    bytes: (g) => encodeRaw({ ...g, tensors: [], data: Buffer.alloc(0) }),
  },
  {
    name: "five-dims",
    expect: /5 dimensions/,
    bytes: (g) => encodeRaw(tensor0(g, (t) => ({ ...t, dims: [...t.dims, 1, 1, 1] }))),
  },
  {
    name: "tensor-type-99",
    expect: /tensor type 99 is not a ggml type/,
    bytes: (g) => encodeRaw(tensor0(g, (t) => ({ ...t, type: 99 }))),
  },
  {
    name: "tensor-type-removed",
    expect: /tensor type 4 .*no longer supported/,
    bytes: (g) => encodeRaw(tensor0(g, (t) => ({ ...t, type: 4 }))),
  },
  {
    name: "row-not-multiple-of-block",
    expect: /not a multiple of q4_0's block of 32/,
    bytes: (g) => encodeRaw(tensor0(g, (t) => ({ ...t, type: 2, dims: [33, 1] }))),
  },
  {
    name: "offset-out-of-order",
    expect: /data offset 4096, expected 0/,
    bytes: (g) => encodeRaw(tensor0(g, (t) => ({ ...t, offset: 4096 }))),
  },
  {
    name: "offset-2^63",
    expect: /data offset/,
    bytes: (g) => encodeRaw(tensor0(g, (t) => ({ ...t, offset: 2n ** 63n }))),
  },
  {
    name: "data-truncated",
    expect: /truncated/,
    bytes: (g) => {
      const b = encodeRaw(g);
      return b.subarray(0, b.length - 4096);
    },
  },
  {
    name: "header-truncated",
    expect: /not a valid GGUF file/,
    bytes: (g) => encodeRaw(g).subarray(0, 300),
  },
  {
    name: "duplicate-tensor",
    expect: /appears twice/,
    bytes: (g) => {
      const t0 = g.tensors[0] as RawTensor;
      return encodeRaw({ ...g, tensors: [t0, ...g.tensors.slice(1, 2).map((t) => ({ ...t, name: t0.name }))] });
    },
  },
  {
    name: "long-tensor-name",
    expect: /longer than 63 bytes/,
    bytes: (g) => encodeRaw(tensor0(g, (t) => ({ ...t, name: "x".repeat(100) }))),
  },
  {
    name: "elements-overflow",
    expect: /more elements than ggml can index|ends at byte/,
    bytes: (g) => encodeRaw(tensor0(g, (t) => ({ ...t, dims: [2n ** 40n, 2n ** 30n] }))),
  },
  {
    name: "dimension-2^63",
    expect: /dimension 0 is 9223372036854775808/,
    bytes: (g) => encodeRaw(tensor0(g, (t) => ({ ...t, dims: [2n ** 63n] }))),
  },
];

/**
 * Structurally valid files that llama.cpp still cannot load (its model loader refuses them): the engine's reason
 * must reach the user, as a user error naming the file.
 */
export const UNLOADABLE_GGUFS: HostileGguf[] = [
  {
    name: "unknown-architecture",
    expect: /unknown model architecture: 'nosucharch'/,
    bytes: (g) => encodeRaw(setKv(g, "general.architecture", { type: GgufType.STRING, value: "nosucharch" })),
  },
  {
    name: "missing-tensor",
    expect: /missing tensor 'output_norm\.weight'|output_norm/,
    bytes: (g) => {
      const kept = g.tensors.filter((t) => t.name !== "output_norm.weight");
      return encodeRaw(relayout({ ...g, tensors: kept }, g));
    },
  },
  {
    name: "missing-block-count",
    expect: /key not found in model: llama\.block_count/,
    bytes: (g) => encodeRaw(without(g, "llama.block_count")),
  },
  {
    name: "wrong-shape",
    expect: /output_norm\.weight.*wrong shape/,
    bytes: (g) => {
      const half = g.tensors.map((t) =>
        t.name === "output_norm.weight" ? { ...t, dims: [Number(t.dims[0]) / 2] } : t,
      );
      return encodeRaw(relayout({ ...g, tensors: half }, g));
    },
  },
];

/** Recomputes offsets and data after tensors were removed (F32 data, in the original order). */
function relayout(g: RawGguf, original: RawGguf): RawGguf {
  const pad = (n: number) => Math.ceil(n / g.alignment) * g.alignment;
  const parts: Buffer[] = [];
  let at = 0;
  const tensors = g.tensors.map((t) => {
    const src = original.tensors.find((o) => o.name === t.name) as RawTensor;
    const n = t.dims.reduce<number>((a, b) => a * Number(b), 1) * 4;
    const bytes = original.data.subarray(Number(src.offset), Number(src.offset) + n);
    const out = { ...t, offset: at };
    parts.push(bytes, Buffer.alloc(pad(n) - n));
    at += pad(n);
    return out;
  });
  return { ...g, tensors, data: Buffer.concat(parts) };
}
