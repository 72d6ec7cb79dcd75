/**
 * A llama-cpp model that loads only when it is first asked for something. The harness and the answer
 * generator key their caches on the backend's identity, which for a GGUF file is its name and sha256, known
 * without the engine; so a rerun whose every request is cached never loads node-llama-cpp at all, and
 * `modelmap start` a second time takes seconds. The identity is checked against the real one on load.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import type { ConfiguredBackend, OpenBackendOptions } from "../backends/index.ts";
import { openBackend } from "../backends/index.ts";
import {
  BACKEND_SPEC_VERSION,
  type Backend,
  type BackendCapabilities,
  type CallOptions,
  type ChatMessage,
  type GenerationParams,
  type LoglikelihoodRequest,
  type ModelIdentity,
} from "../backends/types.ts";
import type { ModelConfig } from "../config/schema.ts";
import { ModelmapError } from "../core/errors.ts";

async function fileSha256(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest("hex");
}

export class LazyLlamaBackend implements Backend {
  readonly specVersion = BACKEND_SPEC_VERSION;
  readonly capabilities: BackendCapabilities = {
    chat: true,
    completion: true,
    loglikelihood: true,
    loglikelihoodRolling: true,
    tokenize: true,
    tokenStats: true,
    concurrency: 1,
  };
  #real: Promise<ConfiguredBackend> | undefined;

  private constructor(
    readonly identity: ModelIdentity,
    private readonly config: ModelConfig,
    private readonly options: OpenBackendOptions,
  ) {}

  static async create(config: ModelConfig, options: OpenBackendOptions = {}): Promise<LazyLlamaBackend> {
    const file = config.file;
    if (config.backend !== "llama-cpp" || file === undefined)
      throw new ModelmapError("internal", `model ${config.id}: a lazy backend needs a llama-cpp GGUF file`);
    const identity: ModelIdentity = {
      id: config.id,
      backend: "llama-cpp",
      name: basename(file),
      fileSha256: await fileSha256(file),
    };
    return new LazyLlamaBackend(identity, config, options);
  }

  /** Whether the engine was loaded (false when everything came from the caches). */
  get loaded(): boolean {
    return this.#real !== undefined;
  }

  private real(): Promise<ConfiguredBackend> {
    this.#real ??= openBackend(this.config, this.options).then((b) => {
      const a = this.identity;
      const r = b.identity;
      if (r.id !== a.id || r.backend !== a.backend || r.name !== a.name || r.fileSha256 !== a.fileSha256)
        throw new ModelmapError(
          "internal",
          `model ${a.id}: the engine reports identity ${JSON.stringify(r)}, expected ${JSON.stringify(a)}`,
        );
      return b;
    });
    return this.#real;
  }

  async generate(input: ChatMessage[] | string, params: GenerationParams, opts?: CallOptions) {
    return (await this.real()).generate(input, params, opts);
  }

  async loglikelihood(requests: LoglikelihoodRequest[], opts?: CallOptions) {
    return (await this.real()).loglikelihood(requests, opts);
  }

  async loglikelihoodRolling(texts: string[], opts?: CallOptions) {
    return (await this.real()).loglikelihoodRolling(texts, opts);
  }

  async tokenize(text: string, opts?: CallOptions) {
    return (await this.real()).tokenize(text, opts);
  }

  async renderChat(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean }) {
    return (await this.real()).renderChat(messages, opts);
  }

  async close(): Promise<void> {
    const r = this.#real;
    this.#real = undefined;
    if (r) await (await r).close();
  }
}
