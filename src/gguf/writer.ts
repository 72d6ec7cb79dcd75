/**
 * A small GGUF v3 writer. It exists so that tests and fixtures can make complete, loadable models (tiny random
 * llama models with a real byte-level BPE vocabulary) in milliseconds instead of downloading gigabytes.
 * Only F32 tensors: the models it makes are tiny, and F32 needs no conversion code that could be wrong.
 */
import { writeFileSync } from "node:fs";
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  GgmlType,
  GgufType,
  type GgufValue,
  SCALAR_SIZES,
  SCALAR_TYPE_IDS,
} from "./format.ts";

export interface GgufTensorInput {
  name: string;
  /** Dimensions in ggml order: ne[0] (the contiguous one, e.g. n_embd for a weight matrix) first. */
  dims: readonly number[];
  data: Float32Array;
}

export interface GgufFileInput {
  /** Ordered key-values; `general.alignment` is added when absent. */
  metadata: ReadonlyArray<readonly [string, GgufValue]>;
  tensors: readonly GgufTensorInput[];
  alignment?: number;
}

const utf8 = new TextEncoder();

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

class ByteWriter {
  readonly buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.alloc(size);
  }
  u8(v: number): void {
    this.pos = this.buf.writeUInt8(v, this.pos);
  }
  u32(v: number): void {
    this.pos = this.buf.writeUInt32LE(v, this.pos);
  }
  u64(v: number | bigint): void {
    this.pos = this.buf.writeBigUInt64LE(BigInt(v), this.pos);
  }
  str(s: string): void {
    const bytes = utf8.encode(s);
    this.u64(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
  scalar(typeId: number, v: number | bigint | boolean): void {
    const b = this.buf;
    switch (typeId) {
      case GgufType.UINT8:
        this.pos = b.writeUInt8(Number(v), this.pos);
        return;
      case GgufType.INT8:
        this.pos = b.writeInt8(Number(v), this.pos);
        return;
      case GgufType.UINT16:
        this.pos = b.writeUInt16LE(Number(v), this.pos);
        return;
      case GgufType.INT16:
        this.pos = b.writeInt16LE(Number(v), this.pos);
        return;
      case GgufType.UINT32:
        this.pos = b.writeUInt32LE(Number(v), this.pos);
        return;
      case GgufType.INT32:
        this.pos = b.writeInt32LE(Number(v), this.pos);
        return;
      case GgufType.FLOAT32:
        this.pos = b.writeFloatLE(Number(v), this.pos);
        return;
      case GgufType.FLOAT64:
        this.pos = b.writeDoubleLE(Number(v), this.pos);
        return;
      case GgufType.BOOL:
        this.pos = b.writeUInt8(v ? 1 : 0, this.pos);
        return;
      case GgufType.UINT64:
        this.pos = b.writeBigUInt64LE(BigInt(v), this.pos);
        return;
      case GgufType.INT64:
        this.pos = b.writeBigInt64LE(BigInt(v), this.pos);
        return;
      default:
        throw new Error(`not a scalar GGUF type: ${typeId}`);
    }
  }
}

function strSize(s: string): number {
  return 8 + utf8.encode(s).length;
}

function valueSize(v: GgufValue): number {
  if (v.type === "string") return strSize(v.value);
  if (v.type === "array") {
    if (v.itemType === "string") {
      let n = 4 + 8;
      for (const s of v.value) n += strSize(s);
      return n;
    }
    return 4 + 8 + v.value.length * (SCALAR_SIZES[SCALAR_TYPE_IDS[v.itemType]] ?? 0);
  }
  return SCALAR_SIZES[SCALAR_TYPE_IDS[v.type]] ?? 0;
}

function writeValue(w: ByteWriter, v: GgufValue): void {
  if (v.type === "string") {
    w.u32(GgufType.STRING);
    w.str(v.value);
  } else if (v.type === "array") {
    w.u32(GgufType.ARRAY);
    if (v.itemType === "string") {
      w.u32(GgufType.STRING);
      w.u64(v.value.length);
      for (const s of v.value) w.str(s);
    } else {
      const id = SCALAR_TYPE_IDS[v.itemType];
      w.u32(id);
      w.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) w.scalar(id, v.value[i] as number);
    }
  } else {
    const id = SCALAR_TYPE_IDS[v.type];
    w.u32(id);
    w.scalar(id, v.value);
  }
}

/** Encodes a complete GGUF v3 file in memory. */
export function encodeGguf(input: GgufFileInput): Buffer {
  const alignment = input.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const metadata: Array<readonly [string, GgufValue]> = [...input.metadata];
  if (!metadata.some(([k]) => k === "general.alignment")) {
    metadata.push(["general.alignment", { type: "u32", value: alignment }]);
  }
  const seen = new Set<string>();
  for (const [k] of metadata) {
    if (seen.has(k)) throw new Error(`duplicate GGUF key ${k}`);
    seen.add(k);
  }
  const offsets: number[] = [];
  let dataSize = 0;
  for (const t of input.tensors) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`tensor ${t.name}: dims ${t.dims.join("x")} but ${t.data.length} values`);
    dataSize = align(dataSize, alignment);
    offsets.push(dataSize);
    dataSize += n * 4;
  }
  let headerSize = 4 + 4 + 8 + 8;
  for (const [k, v] of metadata) headerSize += strSize(k) + 4 + valueSize(v);
  for (const t of input.tensors) headerSize += strSize(t.name) + 4 + 8 * t.dims.length + 4 + 8;
  const dataStart = align(headerSize, alignment);
  const w = new ByteWriter(dataStart + align(dataSize, alignment));
  w.u32(GGUF_MAGIC);
  w.u32(GGUF_VERSION);
  w.u64(input.tensors.length);
  w.u64(metadata.length);
  for (const [k, v] of metadata) {
    w.str(k);
    writeValue(w, v);
  }
  input.tensors.forEach((t, i) => {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GgmlType.F32);
    w.u64(offsets[i] as number);
  });
  if (w.pos !== headerSize) throw new Error(`GGUF header size mismatch: ${w.pos} != ${headerSize}`);
  input.tensors.forEach((t, i) => {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    w.buf.set(bytes, dataStart + (offsets[i] as number));
  });
  return w.buf;
}

/** Writes a GGUF v3 file; returns its size in bytes. */
export function writeGguf(path: string, input: GgufFileInput): number {
  const buf = encodeGguf(input);
  writeFileSync(path, buf);
  return buf.length;
}
