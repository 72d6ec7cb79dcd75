/**
 * Opens the model an eval names: an ad-hoc GGUF file (`--gguf`) through llama-cpp, an ad-hoc OpenAI-compatible
 * endpoint (`--endpoint` + `--model-name`), or a configured model id from modelmap.yaml (`--model`).
 */
import { basename, resolve } from "node:path";
import { openBackend } from "../backends/index.ts";
import { openLlamaCppBackend } from "../backends/llama-cpp/index.ts";
import { OpenAIBackend } from "../backends/openai/index.ts";
import type { Backend } from "../backends/types.ts";
import { ModelConfigSchema } from "../config/schema.ts";
import { ModelmapError } from "../core/errors.ts";
import { openConfiguredModel } from "../models/open.ts";

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
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** --gguf with --chat-template: open through the configured-model path so the GGUF's template renders. */
  chatTemplate?: boolean;
}

/** Kept for callers that registered the configured-model factory; openModel calls it directly now. */
export function setConfiguredOpener(_f: (id: string, configPath: string | undefined) => Promise<Backend>): void {}

export async function openModel(spec: ModelSpec): Promise<{ backend: Backend; modelId: string }> {
  const given = [spec.model, spec.gguf, spec.endpoint].filter((x) => x !== undefined).length;
  if (given !== 1)
    throw new ModelmapError(
      "usage",
      "name exactly one model: --model ID, --gguf FILE, or --endpoint URL --model-name NAME",
    );
  if (spec.gguf !== undefined && spec.chatTemplate) {
    // The GGUF's own chat template, rendered by the templates module, as for a configured llama-cpp model.
    const id = basename(spec.gguf);
    const model = ModelConfigSchema.parse({ id, backend: "llama-cpp", file: resolve(spec.gguf) });
    const backend = await openBackend(model, {
      env: spec.env ?? process.env,
    });
    return { backend, modelId: `gguf:${id}` };
  }
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
  const env = spec.env ?? process.env;
  const backend = await openConfiguredModel(id, spec.configPath, { env, ...(spec.cwd ? { cwd: spec.cwd } : {}) });
  return { backend, modelId: id };
}

/** Instruction-tuned models are usually named so; running one without its template changes its scores. */
export function looksInstructTuned(name: string): boolean {
  return /(instruct|[-_.]chat|[-_.]it\b|[-_.]sft|[-_.]dpo|[-_.]rlhf)/i.test(name);
}
