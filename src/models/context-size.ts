/**
 * How many tokens a configured model can read, without loading it: a llama-cpp model opens with its
 * `context_size`, else its GGUF's trained context length capped at 4096 (what the engine opens); an
 * OpenAI-compatible server does not say. The judge command uses it to name the models a judge prompt fits.
 */
import { existsSync } from "node:fs";
import type { Config, ModelConfig } from "../config/schema.ts";
import { metaNumber, metaString, readGgufHeader } from "../gguf/reader.ts";

/** The engine's default window for a GGUF that does not fix one (backends/llama-cpp/backend.ts). */
const DEFAULT_CAP = 4096;

export function ggufContextLength(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const h = readGgufHeader(file);
    const arch = metaString(h, "general.architecture");
    return arch === undefined ? undefined : metaNumber(h, `${arch}.context_length`);
  } catch {
    return undefined;
  }
}

export function configuredContextSize(m: ModelConfig): number | undefined {
  if (m.backend !== "llama-cpp" || m.file === undefined) return undefined;
  if (m.context_size !== undefined) return m.context_size;
  const trained = ggufContextLength(m.file);
  return trained === undefined ? undefined : Math.min(trained, DEFAULT_CAP);
}

/** Every configured model with its context in tokens (undefined: not known without asking the server). */
export function contextSizes(config: Config): Array<{ id: string; tokens: number | undefined }> {
  return config.models.map((m) => ({ id: m.id, tokens: configuredContextSize(m) }));
}
