/**
 * Tiny random-weight llama models for tests and benchmarks, written as real GGUF v3 files in milliseconds.
 *
 * API (used by backend, serve-model and harness tests):
 *
 *   import { createTinyModel } from "../test/support/tiny-model.ts";   // path relative to your file
 *   const m = createTinyModel(join(dir, "tiny.gguf"), { seed: 7 });
 *   // m.path, m.sha256, m.bytes, m.vocabSize, m.bosId, m.eosId, m.chatTemplate, m.contextLength
 *   // m.encode("some text") -> token ids as the model's own tokenizer gives them (no BOS), for assertions
 *
 * Options (all optional): seed (1; same seed => byte-identical file), nEmbd (64), nLayer (2), nHead (4),
 * nHeadKv (2: grouped-query attention), nFf (128), contextLength (512: the model's training context),
 * merges (200 byte-level BPE merges), chatTemplate (ChatML by default; null writes none), addBos (true:
 * tokenizer.ggml.add_bos_token), logitScale (3: std of the output logits; larger = more peaked distributions),
 * name ("tiny-llama-<seed>").
 *
 * Open such models with `threads: 1` in tests: ggml's worker threads spin at a barrier, and on a loaded
 * shared machine two threads made the llama-cpp tests ~20x slower than one.
 *
 * The vocabulary: 256 byte tokens (id = byte value, GPT-2 byte-to-unicode spelling), one token per merge,
 * then the special tokens <|endoftext|> (BOS), <|im_start|>, <|im_end|> (EOS). The weights are random
 * (output is gibberish) but deterministic, so log-likelihoods are reproducible across runs.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createRng, deriveSeed, type Rng } from "../../src/core/rng.ts";
import type { GgufTensorInput } from "../../src/gguf/writer.ts";
import { encodeGguf } from "../../src/gguf/writer.ts";
import { type ByteBpe, encodeByteBpe, trainByteBpe } from "./byte-bpe.ts";

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;

export interface TinyModelOptions {
  seed?: number;
  nEmbd?: number;
  nLayer?: number;
  nHead?: number;
  nHeadKv?: number;
  nFf?: number;
  contextLength?: number;
  merges?: number;
  chatTemplate?: string | null;
  addBos?: boolean;
  logitScale?: number;
  name?: string;
}

export interface TinyModel {
  path: string;
  sha256: string;
  bytes: number;
  vocabSize: number;
  bosId: number;
  eosId: number;
  imStartId: number;
  contextLength: number;
  chatTemplate: string | null;
  /** Token ids of `text` without BOS and without parsing special tokens, from the reference BPE. */
  encode(text: string): number[];
}

/** English sample the merges are trained on, so that common words become single tokens. */
const CORPUS = `The quick brown fox jumps over the lazy dog. The answer is yes. The answer is no.
Question: What is the capital of France? Answer: Paris. Question: What is two plus two? Answer: four.
A language model assigns a probability to each token given the tokens before it. The context comes first,
then the continuation. In the beginning there was the word, and the word was with the model.
She said that the weather would be fine, and they went to the market to buy bread, milk and apples.
1 2 3 4 5 6 7 8 9 10 100 2024 3.14 = + - * / ( ) [ ] { } " ' : ; , . ! ? # @ & %
Hello world! Hello there. How are you today? I am fine, thank you. Let us think step by step.
system user assistant The following are multiple choice questions (with answers) about science.`;

const bpeCache = new Map<number, ByteBpe>();

function bpeFor(merges: number): ByteBpe {
  let b = bpeCache.get(merges);
  if (!b) {
    b = trainByteBpe(CORPUS, merges);
    bpeCache.set(merges, b);
  }
  return b;
}

function randn(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}

function ones(n: number): Float32Array {
  return new Float32Array(n).fill(1);
}

/** Builds the GGUF bytes of a tiny model (no file written). */
export function buildTinyModel(opts: TinyModelOptions = {}): {
  buffer: Buffer;
  info: Omit<TinyModel, "path" | "sha256" | "bytes">;
} {
  const seed = opts.seed ?? 1;
  const nEmbd = opts.nEmbd ?? 64;
  const nLayer = opts.nLayer ?? 2;
  const nHead = opts.nHead ?? 4;
  const nHeadKv = opts.nHeadKv ?? 2;
  const nFf = opts.nFf ?? 128;
  const ctx = opts.contextLength ?? 512;
  const headDim = nEmbd / nHead;
  if (!Number.isInteger(headDim) || nHead % nHeadKv !== 0)
    throw new Error("nEmbd % nHead and nHead % nHeadKv must be 0");
  const chatTemplate = opts.chatTemplate === undefined ? CHATML_TEMPLATE : opts.chatTemplate;
  const bpe = bpeFor(opts.merges ?? 200);
  const tokens = [...bpe.tokens, ...SPECIAL_TOKENS];
  const nVocab = tokens.length;
  const bosId = bpe.tokens.length;
  const imStartId = bosId + 1;
  const eosId = bosId + 2;
  // 1 = normal, 3 = control (llama.cpp's token types); byte tokens are normal in GPT-2 vocabularies.
  const tokenTypes = new Int32Array(nVocab).fill(1);
  for (let i = bosId; i < nVocab; i++) tokenTypes[i] = 3;

  const rng = createRng(deriveSeed(seed, "tiny-llama-weights"));
  const w = (fanIn: number, n: number) => randn(rng, n, 1 / Math.sqrt(fanIn));
  const kvDim = headDim * nHeadKv;
  const tensors: GgufTensorInput[] = [
    { name: "token_embd.weight", dims: [nEmbd, nVocab], data: randn(rng, nEmbd * nVocab, 1) },
  ];
  for (let l = 0; l < nLayer; l++) {
    const p = `blk.${l}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${p}attn_q.weight`, dims: [nEmbd, nEmbd], data: w(nEmbd, nEmbd * nEmbd) },
      { name: `${p}attn_k.weight`, dims: [nEmbd, kvDim], data: w(nEmbd, nEmbd * kvDim) },
      { name: `${p}attn_v.weight`, dims: [nEmbd, kvDim], data: w(nEmbd, nEmbd * kvDim) },
      { name: `${p}attn_output.weight`, dims: [nEmbd, nEmbd], data: w(nEmbd, nEmbd * nEmbd) },
      { name: `${p}ffn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${p}ffn_gate.weight`, dims: [nEmbd, nFf], data: w(nEmbd, nEmbd * nFf) },
      { name: `${p}ffn_up.weight`, dims: [nEmbd, nFf], data: w(nEmbd, nEmbd * nFf) },
      { name: `${p}ffn_down.weight`, dims: [nFf, nEmbd], data: w(nFf, nFf * nEmbd) },
    );
  }
  tensors.push(
    { name: "output_norm.weight", dims: [nEmbd], data: ones(nEmbd) },
    {
      name: "output.weight",
      dims: [nEmbd, nVocab],
      data: randn(rng, nEmbd * nVocab, (opts.logitScale ?? 3) / Math.sqrt(nEmbd)),
    },
  );

  const u32 = (value: number) => ({ type: "u32" as const, value });
  const metadata = [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: opts.name ?? `tiny-llama-${seed}` }],
    ["general.file_type", u32(0)],
    ["llama.context_length", u32(ctx)],
    ["llama.embedding_length", u32(nEmbd)],
    ["llama.block_count", u32(nLayer)],
    ["llama.feed_forward_length", u32(nFf)],
    ["llama.rope.dimension_count", u32(headDim)],
    ["llama.rope.freq_base", { type: "f32", value: 10000 }],
    ["llama.attention.head_count", u32(nHead)],
    ["llama.attention.head_count_kv", u32(nHeadKv)],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 }],
    ["llama.vocab_size", u32(nVocab)],
    ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
    ["tokenizer.ggml.pre", { type: "string", value: "gpt-2" }],
    ["tokenizer.ggml.tokens", { type: "array", itemType: "string", value: tokens }],
    ["tokenizer.ggml.token_type", { type: "array", itemType: "i32", value: tokenTypes }],
    ["tokenizer.ggml.merges", { type: "array", itemType: "string", value: bpe.merges }],
    ["tokenizer.ggml.bos_token_id", u32(bosId)],
    ["tokenizer.ggml.eos_token_id", u32(eosId)],
    ["tokenizer.ggml.padding_token_id", u32(bosId)],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: opts.addBos ?? true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
  ] as const;
  const withTemplate =
    chatTemplate === null
      ? metadata
      : [...metadata, ["tokenizer.chat_template", { type: "string", value: chatTemplate }] as const];
  const buffer = encodeGguf({ metadata: withTemplate, tensors });
  return {
    buffer,
    info: {
      vocabSize: nVocab,
      bosId,
      eosId,
      imStartId,
      contextLength: ctx,
      chatTemplate,
      encode: (text: string) => encodeByteBpe(bpe, text),
    },
  };
}

/** Writes a tiny random llama GGUF to `path` (see the module comment for the options). */
export function createTinyModel(path: string, opts: TinyModelOptions = {}): TinyModel {
  const { buffer, info } = buildTinyModel(opts);
  writeFileSync(path, buffer);
  return { ...info, path, bytes: buffer.length, sha256: createHash("sha256").update(buffer).digest("hex") };
}
