/**
 * Reads the header of a GGUF file (metadata key-values and tensor infos) without loading the tensor data, so
 * that a multi-gigabyte model's chat template, architecture and vocabulary can be inspected cheaply and without
 * the engine. Reads the file in chunks through a file descriptor.
 */
import { closeSync, openSync, readSync } from "node:fs";
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
}

const CHUNK = 1 << 20;
const utf8 = new TextDecoder("utf-8");

class FileCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(
    private readonly fd: number,
    private readonly path: string,
  ) {}

  private ensure(n: number): void {
    const end = this.pos + n;
    if (end <= this.bufStart + this.buf.length) return;
    const want = Math.max(n, CHUNK);
    const next = Buffer.alloc(want);
    const got = readSync(this.fd, next, 0, want, this.pos);
    if (got < n) throw new ModelmapError("input", `${this.path}: truncated GGUF file (offset ${this.pos})`);
    this.buf = next.subarray(0, got);
    this.bufStart = this.pos;
  }
  private take(n: number): Buffer {
    this.ensure(n);
    const off = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(off, off + n);
  }
  u32(): number {
    return this.take(4).readUInt32LE(0);
  }
  u64(): bigint {
    return this.take(8).readBigUInt64LE(0);
  }
  count(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelmapError("input", `${this.path}: implausible count ${v}`);
    return Number(v);
  }
  str(): string {
    const n = this.count();
    return n === 0 ? "" : utf8.decode(this.take(n));
  }
  scalar(type: number): number | bigint | boolean {
    const size = SCALAR_SIZES[type];
    if (size === undefined) throw new ModelmapError("input", `${this.path}: unknown GGUF value type ${type}`);
    const b = this.take(size);
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
  value(type: number): GgufMetaValue {
    if (type === GgufType.STRING) return this.str();
    if (type === GgufType.ARRAY) {
      const itemType = this.u32();
      const n = this.count();
      const out: GgufMetaValue[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = this.value(itemType);
      return out;
    }
    return this.scalar(type);
  }
}

function safeNumber(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Parses the header of a GGUF file. Throws ModelmapError("input") naming the file if it is not GGUF. */
export function readGgufHeader(path: string): GgufHeader {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new ModelmapError("not_found", `cannot open GGUF file ${path}`, { cause: e });
  }
  try {
    const c = new FileCursor(fd, path);
    if (c.u32() !== GGUF_MAGIC) {
      throw new ModelmapError("input", `${path}: not a GGUF file (bad magic)`, {
        hint: "expected a .gguf model file (llama.cpp format)",
      });
    }
    const version = c.u32();
    if (version < 2 || version > 3) throw new ModelmapError("input", `${path}: unsupported GGUF version ${version}`);
    const nTensors = c.count();
    const nKv = c.count();
    const metadata: Record<string, GgufMetaValue> = {};
    for (let i = 0; i < nKv; i++) {
      const key = c.str();
      metadata[key] = c.value(c.u32());
    }
    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < nTensors; i++) {
      const name = c.str();
      const nd = c.u32();
      const dims: number[] = [];
      for (let d = 0; d < nd; d++) dims.push(c.count());
      const type = c.u32();
      tensors.push({ name, dims, type, offset: c.count() });
    }
    const a = metadata["general.alignment"];
    const alignment = typeof a === "number" && a > 0 ? a : GGUF_DEFAULT_ALIGNMENT;
    const dataOffset = Math.ceil(c.pos / alignment) * alignment;
    return { version, metadata, tensors, alignment, dataOffset };
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
