/**
 * Reads the header of a GGUF file (metadata key-values and tensor infos) without loading the tensor data, so
 * that a multi-gigabyte model's chat template, architecture and vocabulary can be inspected cheaply and without
 * the engine. Reads the file in chunks through a file descriptor.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { ModelmapError } from "../core/errors.ts";
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufType, SCALAR_SIZES } from "./format.ts";

export type GgufMetaValue = number | bigint | boolean | string | GgufMetaValue[];

export interface GgufTensorInfo {
  name: string;
  dims: number[];
  type: number;
  offset: number;
}

export interface GgufHeader {
  version: number;
  metadata: Record<string, GgufMetaValue>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute file offset where tensor data starts. */
  dataOffset: number;
  /** Each key's GGUF value type (and item type for arrays), for checks that care (general.alignment is u32). */
  types: Record<string, { type: number; itemType?: number }>;
  fileSize: number;
}

const CHUNK = 1 << 20;
const utf8 = new TextDecoder("utf-8");

/**
 * What the reader accepts. A GGUF header is untrusted: every count is checked against the bytes left in the
 * file (a crafted count of 2^40 must not become a 2^40-slot array) and against these limits, which are far above
 * any real model's (a 256k-token vocabulary is 2^18 strings; a chat template is a few KB), before anything is
 * allocated. llama.cpp's own reader refuses strings and arrays over 2^30; nested arrays it refuses outright.
 */
export const GGUF_READ_LIMITS = {
  maxStringBytes: 64 * 1024 * 1024,
  maxArrayItems: 1 << 26,
  /** Arrays of arrays, counted from the key (llama.cpp reads none). */
  maxArrayDepth: 4,
  /** ggml's GGML_MAX_DIMS. */
  maxDims: 4,
} as const;

/** Smallest encoded size of a value of a type: what a count of them must at least occupy in the file. */
function minSize(type: number): number {
  if (type === GgufType.STRING) return 8;
  if (type === GgufType.ARRAY) return 12;
  return SCALAR_SIZES[type] ?? 1;
}

class FileCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(
    private readonly fd: number,
    readonly path: string,
    readonly size: number,
  ) {}

  /** A ModelmapError naming the file, the field (key or tensor) and the offset. */
  invalid(message: string, field?: string): ModelmapError {
    return new ModelmapError("input", `not a valid GGUF file: ${message} (at byte ${this.pos})`, {
      location: { file: this.path, ...(field ? { field } : {}) },
      hint: "the file is damaged, truncated or not a model; download or convert it again",
    });
  }

  get remaining(): number {
    return Math.max(0, this.size - this.pos);
  }

  private ensure(n: number, field: string | undefined): void {
    const end = this.pos + n;
    if (end <= this.bufStart + this.buf.length) return;
    if (n > this.remaining)
      throw this.invalid(`needs ${n} more bytes but the file ends after ${this.remaining}`, field);
    const want = Math.min(Math.max(n, CHUNK), this.remaining);
    const next = Buffer.alloc(want);
    const got = readSync(this.fd, next, 0, want, this.pos);
    if (got < n) throw this.invalid(`truncated (wanted ${n} bytes, read ${got})`, field);
    this.buf = next.subarray(0, got);
    this.bufStart = this.pos;
  }
  private take(n: number, field?: string): Buffer {
    this.ensure(n, field);
    const off = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(off, off + n);
  }
  u32(field?: string): number {
    return this.take(4, field).readUInt32LE(0);
  }
  /** The u32 at an absolute offset already read (the item type of an array just read). */
  u32At(at: number): number {
    const b = Buffer.alloc(4);
    readSync(this.fd, b, 0, 4, at);
    return b.readUInt32LE(0);
  }
  u64(field?: string): bigint {
    return this.take(8, field).readBigUInt64LE(0);
  }
  /** A count of things that take at least `each` bytes: bounded by the bytes left, then by `max`. */
  count(what: string, each: number, max: number, field?: string): number {
    const v = this.u64(field);
    const fits = BigInt(Math.floor(this.remaining / Math.max(1, each)));
    if (v > fits)
      throw this.invalid(`${what} is ${v}, but the ${this.remaining} bytes left hold at most ${fits}`, field);
    const n = Number(v);
    if (n > max) throw this.invalid(`${what} is ${n}; modelmap reads at most ${max}`, field);
    return n;
  }
  str(what: string, field?: string): string {
    const n = this.count(`the length of ${what}`, 1, GGUF_READ_LIMITS.maxStringBytes, field);
    return n === 0 ? "" : utf8.decode(this.take(n, field));
  }
  scalar(type: number, field: string | undefined): number | bigint | boolean {
    const size = SCALAR_SIZES[type];
    if (size === undefined) throw this.invalid(`unknown value type ${type}`, field);
    const b = this.take(size, field);
    switch (type) {
      case GgufType.UINT8:
        return b.readUInt8(0);
      case GgufType.INT8:
        return b.readInt8(0);
      case GgufType.UINT16:
        return b.readUInt16LE(0);
      case GgufType.INT16:
        return b.readInt16LE(0);
      case GgufType.UINT32:
        return b.readUInt32LE(0);
      case GgufType.INT32:
        return b.readInt32LE(0);
      case GgufType.FLOAT32:
        return b.readFloatLE(0);
      case GgufType.FLOAT64:
        return b.readDoubleLE(0);
      case GgufType.BOOL:
        return b.readUInt8(0) !== 0;
      case GgufType.UINT64:
        return safeNumber(b.readBigUInt64LE(0));
      default:
        return safeNumber(b.readBigInt64LE(0));
    }
  }
  value(type: number, key: string, depth = 0): GgufMetaValue {
    if (type === GgufType.STRING) return this.str("a string", key);
    if (type === GgufType.ARRAY) {
      if (depth >= GGUF_READ_LIMITS.maxArrayDepth)
        throw this.invalid(`arrays nested more than ${GGUF_READ_LIMITS.maxArrayDepth} deep`, key);
      const itemType = this.u32(key);
      if (itemType !== GgufType.STRING && itemType !== GgufType.ARRAY && SCALAR_SIZES[itemType] === undefined)
        throw this.invalid(`unknown array item type ${itemType}`, key);
      const n = this.count("the array length", minSize(itemType), GGUF_READ_LIMITS.maxArrayItems, key);
      const out: GgufMetaValue[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = this.value(itemType, key, depth + 1);
      return out;
    }
    return this.scalar(type, key);
  }
}

function safeNumber(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Smallest tensor info: name length (8), n_dims (4), type (4), offset (8). */
const MIN_TENSOR_INFO = 24;
/** Smallest key-value: key length (8), type (4), a one-byte value. */
const MIN_KV = 13;

/**
 * Parses the header of a GGUF file, bounded (see GGUF_READ_LIMITS). Every failure is a ModelmapError("input")
 * naming the file, and the key or tensor where it is one.
 */
export function readGgufHeader(path: string): GgufHeader {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelmapError(code === "ENOENT" ? "not_found" : "input", `cannot open GGUF file (${code})`, {
      cause: e,
      location: { file: path },
    });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ModelmapError("input", "not a file (a directory?)", { location: { file: path } });
    const c = new FileCursor(fd, path, st.size);
    if (st.size < 4 || c.u32() !== GGUF_MAGIC) {
      throw new ModelmapError("input", "not a GGUF file (bad magic)", {
        location: { file: path },
        hint: "expected a .gguf model file (llama.cpp format)",
      });
    }
    const version = c.u32();
    if (version < 2 || version > 3)
      throw c.invalid(`GGUF version ${version}; llama.cpp reads versions 2 and 3`, "version");
    const nTensors = c.count("the tensor count", MIN_TENSOR_INFO, Number.MAX_SAFE_INTEGER, "tensor_count");
    const nKv = c.count("the metadata count", MIN_KV, Number.MAX_SAFE_INTEGER, "metadata_kv_count");
    const metadata: Record<string, GgufMetaValue> = Object.create(null) as Record<string, GgufMetaValue>;
    const types: Record<string, { type: number; itemType?: number }> = Object.create(null) as Record<
      string,
      { type: number; itemType?: number }
    >;
    for (let i = 0; i < nKv; i++) {
      const key = c.str(`metadata key ${i}`, `metadata key ${i}`);
      if (key === "") throw c.invalid(`metadata key ${i} is empty`);
      if (Object.hasOwn(metadata, key)) throw c.invalid("the key appears twice", key);
      const type = c.u32(key);
      const at = c.pos;
      metadata[key] = c.value(type, key);
      types[key] = type === GgufType.ARRAY ? { type, itemType: c.u32At(at) } : { type };
    }
    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < nTensors; i++) {
      const name = c.str(`the name of tensor ${i}`, `tensor ${i}`);
      const nd = c.u32(name);
      if (nd > GGUF_READ_LIMITS.maxDims)
        throw c.invalid(`${nd} dimensions; ggml tensors have at most ${GGUF_READ_LIMITS.maxDims}`, name);
      const dims: number[] = [];
      for (let d = 0; d < nd; d++) {
        const v = c.u64(name);
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw c.invalid(`dimension ${d} is ${v}`, name);
        dims.push(Number(v));
      }
      const type = c.u32(name);
      const offset = safeNumber(c.u64(name));
      if (typeof offset !== "number") throw c.invalid(`data offset ${offset} is past any file`, name);
      tensors.push({ name, dims, type, offset });
    }
    const a = metadata["general.alignment"];
    const alignment = typeof a === "number" && a > 0 ? a : GGUF_DEFAULT_ALIGNMENT;
    const dataOffset = Math.ceil(c.pos / alignment) * alignment;
    return { version, metadata, types, tensors, alignment, dataOffset, fileSize: st.size };
  } finally {
    closeSync(fd);
  }
}

/** A string metadata value, or undefined when absent or not a string. */
export function metaString(h: GgufHeader, key: string): string | undefined {
  const v = h.metadata[key];
  return typeof v === "string" ? v : undefined;
}

/** A numeric metadata value, or undefined when absent or not a number. */
export function metaNumber(h: GgufHeader, key: string): number | undefined {
  const v = h.metadata[key];
  return typeof v === "number" ? v : undefined;
}
