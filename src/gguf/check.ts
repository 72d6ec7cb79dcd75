/**
 * The check a GGUF file passes before the engine sees it. node-llama-cpp reads the header itself (in JavaScript,
 * unbounded: a metadata array count of 2^40 exhausts the heap) and llama.cpp asserts on some values (a tensor
 * count of 3 * 2^30 aborts the process), so a crafted or damaged file must be refused here, by modelmap's bounded
 * reader, with a message naming the file and the key or tensor. The checks are llama.cpp's own (gguf_init in
 * ggml/src/gguf.cpp and the file-bounds check of llama_model_loader, commit 80fb11a), so that a file that
 * passes is one the engine's reader accepts too.
 */
import { ModelmapError } from "../core/errors.ts";
import { GgufType } from "./format.ts";
import { type GgufHeader, readGgufHeader } from "./reader.ts";

/** ggml's tensor types: [name, elements per block, bytes per block]; block 0 marks a removed type. */
const GGML_TYPES: ReadonlyArray<readonly [string, number, number]> = [
  ["f32", 1, 4],
  ["f16", 1, 2],
  ["q4_0", 32, 18],
  ["q4_1", 32, 20],
  ["q4_2 (removed)", 0, 0],
  ["q4_3 (removed)", 0, 0],
  ["q5_0", 32, 22],
  ["q5_1", 32, 24],
  ["q8_0", 32, 34],
  ["q8_1", 32, 36],
  ["q2_K", 256, 84],
  ["q3_K", 256, 110],
  ["q4_K", 256, 144],
  ["q5_K", 256, 176],
  ["q6_K", 256, 210],
  ["q8_K", 256, 292],
  ["iq2_xxs", 256, 66],
  ["iq2_xs", 256, 74],
  ["iq3_xxs", 256, 98],
  ["iq1_s", 256, 50],
  ["iq4_nl", 32, 18],
  ["iq3_s", 256, 110],
  ["iq2_s", 256, 82],
  ["iq4_xs", 256, 136],
  ["i8", 1, 1],
  ["i16", 1, 2],
  ["i32", 1, 4],
  ["i64", 1, 8],
  ["f64", 1, 8],
  ["iq1_m", 256, 56],
  ["bf16", 1, 2],
  ["q4_0_4_4 (removed)", 0, 0],
  ["q4_0_4_8 (removed)", 0, 0],
  ["q4_0_8_8 (removed)", 0, 0],
  ["tq1_0", 256, 54],
  ["tq2_0", 256, 66],
  ["iq4_nl_4_4 (removed)", 0, 0],
  ["iq4_nl_4_8 (removed)", 0, 0],
  ["iq4_nl_8_8 (removed)", 0, 0],
  ["mxfp4", 32, 17],
  ["nvfp4", 64, 36],
  ["q1_0", 128, 18],
  ["q2_0", 64, 18],
];

/** ggml's GGML_MAX_NAME: tensor names are stored in 64 bytes with their terminating NUL. */
const MAX_TENSOR_NAME_BYTES = 63;
const INT64_MAX = 2n ** 63n - 1n;

function pad(n: bigint, alignment: bigint): bigint {
  return ((n + alignment - 1n) / alignment) * alignment;
}

/**
 * Reads and checks a GGUF file the way llama.cpp will; returns its header. Throws ModelmapError("input") naming
 * the file and the key or tensor at fault.
 */
export function checkGgufForEngine(path: string): GgufHeader {
  const h = readGgufHeader(path);
  const bad = (message: string, field?: string, hint?: string) =>
    new ModelmapError("input", `llama.cpp cannot load this GGUF file: ${message}`, {
      location: { file: path, ...(field ? { field } : {}) },
      hint: hint ?? "the file is damaged, truncated or not a complete model; download or convert it again",
    });
  for (const [key, t] of Object.entries(h.types)) {
    if (t.type === GgufType.ARRAY && t.itemType === GgufType.ARRAY)
      throw bad("an array of arrays (llama.cpp reads arrays of scalars or strings only)", key);
  }
  const alignType = h.types["general.alignment"];
  if (alignType !== undefined && alignType.type !== GgufType.UINT32)
    throw bad(
      `general.alignment must be a u32 (GGUF type ${GgufType.UINT32}), not type ${alignType.type}`,
      "general.alignment",
    );
  const align = h.metadata["general.alignment"];
  if (align !== undefined && (typeof align !== "number" || align <= 0 || (align & (align - 1)) !== 0))
    throw bad(`general.alignment ${String(align)} is not a power of 2`, "general.alignment");
  const arch = h.metadata["general.architecture"];
  if (typeof arch !== "string" || arch === "")
    throw bad("general.architecture is missing (every llama.cpp model names its architecture)", "general.architecture");
  if (h.tensors.length === 0)
    throw bad("the file has no tensors (a vocabulary-only file?)", "tensor_count", "give a complete model file");
  const alignment = BigInt(h.alignment);
  const names = new Set<string>();
  let expectedOffset = 0n;
  const fileSize = BigInt(h.fileSize);
  const dataStart = BigInt(h.dataOffset);
  for (const t of h.tensors) {
    const field = t.name;
    if (Buffer.byteLength(t.name) > MAX_TENSOR_NAME_BYTES)
      throw bad(`the tensor name is longer than ${MAX_TENSOR_NAME_BYTES} bytes`, field);
    if (names.has(t.name)) throw bad("the tensor name appears twice", field);
    names.add(t.name);
    const info = GGML_TYPES[t.type];
    if (info === undefined)
      throw bad(`tensor type ${t.type} is not a ggml type (0 to ${GGML_TYPES.length - 1})`, field);
    const [typeName, block, blockBytes] = info;
    if (block === 0) throw bad(`tensor type ${t.type} (${typeName}) is no longer supported by llama.cpp`, field);
    const ne = [0, 1, 2, 3].map((i) => BigInt(t.dims[i] ?? 1));
    const ne0 = ne[0] as bigint;
    if (ne0 % BigInt(block) !== 0n)
      throw bad(`a row of ${ne0} elements is not a multiple of ${typeName}'s block of ${block}`, field);
    const elements = ne.reduce((a, b) => a * b, 1n);
    if (elements > INT64_MAX) throw bad(`shape ${t.dims.join(" x ")} has more elements than ggml can index`, field);
    const bytes = (elements / BigInt(block)) * BigInt(blockBytes);
    if (BigInt(t.offset) !== expectedOffset)
      throw bad(`data offset ${t.offset}, expected ${expectedOffset} (tensors are stored in order, aligned)`, field);
    const end = dataStart + BigInt(t.offset) + bytes;
    if (end > fileSize)
      throw bad(
        `its data ends at byte ${end} but the file has ${fileSize} bytes (truncated?)`,
        field,
        "the file is incomplete; download it again",
      );
    expectedOffset += pad(bytes, alignment);
  }
  return h;
}
