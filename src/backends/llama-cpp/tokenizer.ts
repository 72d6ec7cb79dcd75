/**
 * A tokenizer-only view of a GGUF file (llama.cpp's vocab-only load): tokenization checks and token counts
 * without loading weights. Works on the vocab-only GGUFs llama.cpp ships for its tokenizer tests.
 */
import { existsSync } from "node:fs";
import type { Token } from "node-llama-cpp";
import { ModelmapError } from "../../core/errors.ts";
import { cpuVariantSetting } from "./cpu-variant.ts";
import { getSharedLlama } from "./engine.ts";
import type { NativeEnv } from "./native-build.ts";

export interface GgufTokenizer {
  /** Token ids of `text`; `special`: parse special-token text (e.g. "<s>") into special tokens. No BOS. */
  tokenize(text: string, opts?: { special?: boolean }): number[];
  detokenize(tokens: readonly number[], opts?: { special?: boolean }): string;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly shouldPrependBos: boolean;
  close(): Promise<void>;
}

/** `env`: MODELMAP_LLAMA_CPU_VARIANT and the addon build's variables, when this starts the engine (cpu-variant.ts). */
export async function openGgufTokenizer(path: string, env: NativeEnv = {}): Promise<GgufTokenizer> {
  if (!existsSync(path)) throw new ModelmapError("not_found", `GGUF file not found: ${path}`);
  // The file decides the CPU variant as its model would (auto), if the engine is not running yet.
  const llama = await getSharedLlama(false, { setting: cpuVariantSetting(undefined, env), modelPath: path, env });
  let model: Awaited<ReturnType<typeof llama.loadModel>>;
  try {
    model = await llama.loadModel({ modelPath: path, vocabOnly: true });
  } catch (e) {
    throw new ModelmapError("backend", `llama.cpp could not load the vocabulary of ${path}`, { cause: e });
  }
  return {
    tokenize: (text, o = {}) => model.tokenize(text, o.special ?? false) as number[],
    detokenize: (tokens, o = {}) => model.detokenize(tokens as Token[], o.special ?? false),
    bos: model.tokens.bos,
    eos: model.tokens.eos,
    shouldPrependBos: model.tokens.shouldPrependBosToken,
    close: () => model.dispose(),
  };
}
