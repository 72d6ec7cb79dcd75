/**
 * Opens the model an eval names: an ad-hoc GGUF file (`--gguf`) through llama-cpp, an ad-hoc OpenAI-compatible
 * endpoint (`--endpoint` + `--model-name`), or a configured model id from modelmap.yaml (`--model`).
 */
import { basename } from "node:path";
import { openLlamaCppBackend } from "../backends/llama-cpp/index.ts";
import { OpenAIBackend } from "../backends/openai/index.ts";
import type { Backend } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";

export interface ModelSpec {
  /** Configured id in modelmap.yaml. */
  model?: string;
  gguf?: string;
  endpoint?: string;
  modelName?: string;
  apiKey?: string;
  /** Requests in flight for an endpoint. */
  concurrency?: number;
  /** llama.cpp CPU threads for --gguf (1 is far faster on a contended machine: no spinning workers). */
  threads?: number;
  /** Where modelmap.yaml is (for --model). */
  configPath?: string;
}

/** Hook for the configured-model factory (modelmap.yaml): set by the config module when present. */
export type ConfiguredOpener = (id: string, configPath: string | undefined) => Promise<Backend>;
let configuredOpener: ConfiguredOpener | undefined;
export function setConfiguredOpener(f: ConfiguredOpener): void {
  configuredOpener = f;
}

export async function openModel(spec: ModelSpec): Promise<{ backend: Backend; modelId: string }> {
  const given = [spec.model, spec.gguf, spec.endpoint].filter((x) => x !== undefined).length;
  if (given !== 1)
    throw new ModelmapError(
      "usage",
      "name exactly one model: --model ID, --gguf FILE, or --endpoint URL --model-name NAME",
    );
  if (spec.gguf !== undefined) {
    const backend = await openLlamaCppBackend({
      modelPath: spec.gguf,
      id: basename(spec.gguf),
      ...(spec.threads !== undefined ? { threads: spec.threads } : {}),
    });
    return { backend, modelId: `gguf:${basename(spec.gguf)}` };
  }
  if (spec.endpoint !== undefined) {
    if (!spec.modelName) throw new ModelmapError("usage", "--endpoint needs --model-name (the name the server serves)");
    const id = `${spec.modelName}@${spec.endpoint}`;
    const backend = new OpenAIBackend({
      id,
      model: spec.modelName,
      baseUrls: [spec.endpoint],
      ...(spec.apiKey ? { apiKey: spec.apiKey } : {}),
      ...(spec.concurrency ? { concurrency: spec.concurrency } : {}),
    });
    return { backend, modelId: id };
  }
  const id = spec.model as string;
  if (!configuredOpener)
    throw new ModelmapError("unsupported", `--model ${id}: configured models need modelmap.yaml support`, {
      hint: "use --gguf FILE or --endpoint URL --model-name NAME",
    });
  return { backend: await configuredOpener(id, spec.configPath), modelId: id };
}

/** Instruction-tuned models are usually named so; running one without its template changes its scores. */
export function looksInstructTuned(name: string): boolean {
  return /(instruct|[-_.]chat|[-_.]it\b|[-_.]sft|[-_.]dpo|[-_.]rlhf)/i.test(name);
}
