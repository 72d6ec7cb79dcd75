/**
 * Constants of the GGUF v3 file format (ggml's model container), shared by the writer and the reader.
 * Layout: magic "GGUF", u32 version, u64 tensor count, u64 key-value count, the key-values, the tensor infos,
 * padding to `general.alignment` (default 32), then the tensor data (each tensor aligned too). Little-endian.
 */
export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Value types of metadata entries, as numbered in ggml's gguf.h. */
export const GgufType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufTypeId = (typeof GgufType)[keyof typeof GgufType];

/** Tensor element types the writer supports (ggml_type numbering). */
export const GgmlType = { F32: 0, F16: 1 } as const;
export type GgmlTypeId = (typeof GgmlType)[keyof typeof GgmlType];

/** A metadata value with its explicit GGUF type, so that u32 and i32 (say) are never guessed wrongly. */
export type GgufValue =
  | { type: "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "f64"; value: number }
  | { type: "u64" | "i64"; value: bigint | number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "array"; itemType: "string"; value: readonly string[] }
  | { type: "array"; itemType: "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "f64"; value: ArrayLike<number> };

export const SCALAR_TYPE_IDS = {
  u8: GgufType.UINT8,
  i8: GgufType.INT8,
  u16: GgufType.UINT16,
  i16: GgufType.INT16,
  u32: GgufType.UINT32,
  i32: GgufType.INT32,
  f32: GgufType.FLOAT32,
  bool: GgufType.BOOL,
  string: GgufType.STRING,
  u64: GgufType.UINT64,
  i64: GgufType.INT64,
  f64: GgufType.FLOAT64,
} as const;

/** Byte size of fixed-width scalar types; strings are variable. */
export const SCALAR_SIZES: Record<number, number> = {
  [GgufType.UINT8]: 1,
  [GgufType.INT8]: 1,
  [GgufType.UINT16]: 2,
  [GgufType.INT16]: 2,
  [GgufType.UINT32]: 4,
  [GgufType.INT32]: 4,
  [GgufType.FLOAT32]: 4,
  [GgufType.BOOL]: 1,
  [GgufType.UINT64]: 8,
  [GgufType.INT64]: 8,
  [GgufType.FLOAT64]: 8,
};
