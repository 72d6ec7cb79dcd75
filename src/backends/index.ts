/**
 * The one place that turns a configured model (modelmap.yaml) into a Backend. The engines are imported
 * lazily, so that a command touching only HTTP models never loads node-llama-cpp, and vice versa.
 *
 * The returned backend applies the model's system prompt and chat template itself and says how
 * (`prompting`), so that run logs record the template and system prompt by content hash:
 * - llama-cpp: the template (GGUF, tokenizer_config, named or none) is rendered by modelmap; the engine adds
 *   BOS per the GGUF, so the rendered text is handed over without a template-written BOS (never two).
 * - openai with a template chosen in the config (named, tokenizer_config, none): rendered by modelmap and sent
 *   as a prompt to /completions, without a leading BOS (servers add their own), with the template's stop
 *   strings; what was sent comes back as promptAsSent.
 * - openai with template.source auto and no name or path: messages go to /chat/completions and the server
 *   applies its own template (the system prompt is still applied here).
 */
import { existsSync } from "node:fs";
import type { ModelConfig } from "../config/schema.ts";
import { endpointsOf } from "../config/schema.ts";
import { ModelmapError } from "../core/errors.ts";
import {
  ggufTokenizerInfo,
  type ModelPrompting,
  type PromptingContext,
  promptForModel,
  resolveModelPrompting,
} from "../models/prompting.ts";
import type { SystemPromptSpec } from "../templates/system-prompt.ts";
import {
  BACKEND_SPEC_VERSION,
  type Backend,
  type CallOptions,
  type ChatMessage,
  type GenerateResult,
  type GenerationParams,
  type LoglikelihoodRequest,
  type LoglikelihoodResult,
  type RollingResult,
} from "./types.ts";

export interface OpenBackendOptions {
  /** The config's system_prompts (for system_prompt: {preset: NAME}). */
  presets?: Readonly<Record<string, string>> | undefined;
  /** Overrides the model's configured system prompt. */
  systemPrompt?: SystemPromptSpec | undefined;
  /** Where api_key_env is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Seed for sampling and retry jitter (default 0). */
  seed?: number;
  /** The clock templates read through strftime_now (Llama 3.x writes the date); fix it for reproducible prompts. */
  now?: Date;
  /** llama-cpp: CPU threads (default: the engine's choice; 1 is faster for tiny models on a busy machine). */
  threads?: number;
}

/** Recorded with every run: how prompts were built. */
export interface PromptingInfo {
  templateSource: "gguf" | "tokenizer_config" | "named" | "none" | "server";
  templateName: string | undefined;
  /** sha256 of the template source; undefined when the server applies its own. */
  templateHash: string | undefined;
  systemPromptSource: string;
  systemPromptHash: string;
}

export interface ConfiguredBackend extends Backend {
  readonly prompting: PromptingInfo;
  /** The model's generation defaults from the config, merged under each call's parameters. */
  readonly generationDefaults: GenerationParams;
  /** The engine underneath (LlamaCppBackend or OpenAIBackend, loaded on demand), for engine-specific calls. */
  engine(): Promise<Backend>;
  renderChat(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean }): Promise<string>;
  tokenize(text: string, opts?: CallOptions): Promise<number[]>;
}

export function generationDefaults(m: ModelConfig): GenerationParams {
  const g = m.generation ?? {};
  const out: GenerationParams = {};
  if (g.max_tokens !== undefined) out.maxTokens = g.max_tokens;
  if (g.temperature !== undefined) out.temperature = g.temperature;
  if (g.top_p !== undefined) out.topP = g.top_p;
  if (g.top_k !== undefined) out.topK = g.top_k;
  if (g.min_p !== undefined) out.minP = g.min_p;
  if (g.repeat_penalty !== undefined) out.repeatPenalty = g.repeat_penalty;
  if (g.seed !== undefined) out.seed = g.seed;
  if (g.stop !== undefined) out.stop = g.stop;
  return out;
}

function infoOf(p: ModelPrompting): PromptingInfo {
  return {
    templateSource: p.template?.source ?? "server",
    templateName: p.template?.name,
    templateHash: p.template?.hash,
    systemPromptSource: p.systemPrompt.source,
    systemPromptHash: p.systemPrompt.hash,
  };
}

/** Opens the engine for a configured model. Relative paths in `model` must already be resolved (loadConfig). */
export async function openBackend(model: ModelConfig, opts: OpenBackendOptions = {}): Promise<ConfiguredBackend> {
  const ctx: PromptingContext = { presets: opts.presets, systemPrompt: opts.systemPrompt };
  if (model.backend === "llama-cpp") return openLlamaCpp(model, ctx, opts);
  return openOpenAI(model, ctx, opts);
}

async function openLlamaCpp(model: ModelConfig, ctx: PromptingContext, opts: OpenBackendOptions) {
  const file = model.file;
  if (file === undefined) throw new ModelmapError("config", `model ${model.id}: llama-cpp needs file`);
  // Resolving before loading fails fast on a broken template, pointing into it, before the weights load.
  const gguf = existsSync(file) ? ggufTokenizerInfo(file) : undefined;
  const prompting = resolveModelPrompting(model, { ...ctx, gguf });
  // Whether the engine prepends BOS: the GGUF's add_bos_token when present (the engine reads the same key),
  // else the engine's default, which prepends BOS for the vocabularies that lack the key in practice.
  const engineAddsBos = gguf?.addBosMetadata ?? true;
  const { openLlamaCppBackend } = await import("./llama-cpp/index.ts");
  const inner = await openLlamaCppBackend({
    modelPath: file,
    id: model.id,
    seed: opts.seed ?? 0,
    ...(model.context_size !== undefined ? { contextSize: model.context_size } : {}),
    ...(model.gpu ? { gpu: "auto" as const } : {}),
    ...((opts.threads ?? model.threads) !== undefined ? { threads: (opts.threads ?? model.threads) as number } : {}),
    renderChat: (messages, rc) => {
      const p = promptForModel(prompting, messages, {
        addGenerationPrompt: rc.addGenerationPrompt,
        ...(opts.now ? { now: opts.now } : {}),
      });
      // When the engine prepends BOS itself, a BOS the template wrote is dropped here; when it does not, the
      // template's BOS string stays and is tokenized as the BOS token. Either way: one BOS.
      if (p.kind !== "text") return p.messages.map((m) => m.content).join("\n\n");
      return engineAddsBos ? p.textWithoutBos : p.text;
    },
  });
  return new PromptedBackend(inner, model, prompting, "engine", opts.now);
}

function openOpenAI(model: ModelConfig, ctx: PromptingContext, opts: OpenBackendOptions): ConfiguredBackend {
  const env = opts.env ?? process.env;
  let apiKey: string | undefined;
  if (model.api_key_env !== undefined) {
    apiKey = env[model.api_key_env];
    if (!apiKey)
      throw new ModelmapError("auth", `model ${model.id}: environment variable ${model.api_key_env} is not set`, {
        location: { field: "api_key_env" },
        hint: `export ${model.api_key_env}=... (the API key of ${endpointsOf(model).join(", ")})`,
      });
  }
  const prompting = resolveModelPrompting(model, ctx);
  return new PromptedBackend(
    new OpenAIBackendLazy(model, apiKey, opts.seed ?? 0),
    model,
    prompting,
    prompting.template === undefined ? "server" : "text",
    opts.now,
  );
}

/**
 * The openai backend module is imported on first use (constructing it is synchronous; importing is not), so
 * that openBackend stays cheap and models that are never called never load it.
 */
class OpenAIBackendLazy implements Backend {
  readonly specVersion = BACKEND_SPEC_VERSION;
  readonly identity;
  readonly capabilities;
  #inner: Promise<Backend> | undefined;

  constructor(
    private readonly model: ModelConfig,
    private readonly apiKey: string | undefined,
    private readonly seed: number,
  ) {
    const urls = endpointsOf(model);
    this.identity = { id: model.id, backend: "openai", name: model.model ?? model.id, endpoint: urls.join(",") };
    // Log-likelihood support is only known once a server answers (`modelmap models check` probes it).
    this.capabilities = {
      chat: true,
      completion: true,
      loglikelihood: true,
      loglikelihoodRolling: true,
      tokenize: false,
      tokenStats: false,
      concurrency: model.concurrency ?? 16,
    };
  }

  inner(): Promise<Backend> {
    this.#inner ??= import("./openai/index.ts").then(
      ({ OpenAIBackend }) =>
        new OpenAIBackend({
          id: this.model.id,
          model: this.model.model ?? this.model.id,
          baseUrls: endpointsOf(this.model),
          seed: this.seed,
          ...(this.apiKey !== undefined ? { apiKey: this.apiKey } : {}),
          ...(this.model.concurrency !== undefined ? { concurrency: this.model.concurrency } : {}),
          ...(this.model.timeout_ms !== undefined ? { timeoutMs: this.model.timeout_ms } : {}),
          ...(this.model.max_retries !== undefined ? { maxRetries: this.model.max_retries } : {}),
        }),
    );
    return this.#inner;
  }

  async generate(input: ChatMessage[] | string, params: GenerationParams, o?: CallOptions) {
    return (await this.inner()).generate(input, params, o);
  }
  async loglikelihood(r: LoglikelihoodRequest[], o?: CallOptions) {
    return (await this.inner()).loglikelihood(r, o);
  }
  async loglikelihoodRolling(t: string[], o?: CallOptions) {
    return (await this.inner()).loglikelihoodRolling(t, o);
  }
  async close() {
    if (this.#inner) await (await this.#inner).close();
  }
}

/** Applies the model's system prompt, template and generation defaults around an engine. */
class PromptedBackend implements ConfiguredBackend {
  readonly specVersion = BACKEND_SPEC_VERSION;
  readonly identity;
  readonly capabilities;
  readonly prompting: PromptingInfo;
  readonly generationDefaults: GenerationParams;

  constructor(
    private readonly inner: Backend,
    model: ModelConfig,
    private readonly setup: ModelPrompting,
    /** engine: the engine renders through our callback; text: we render and send a prompt; server: messages. */
    private readonly mode: "engine" | "text" | "server",
    private readonly now?: Date,
  ) {
    this.identity = inner.identity;
    this.capabilities = { ...inner.capabilities, chat: true };
    this.prompting = infoOf(setup);
    this.generationDefaults = generationDefaults(model);
  }

  engine(): Promise<Backend> {
    return this.inner instanceof OpenAIBackendLazy ? this.inner.inner() : Promise.resolve(this.inner);
  }

  async tokenize(text: string, o?: CallOptions): Promise<number[]> {
    if (!this.inner.tokenize)
      throw new ModelmapError(
        "unsupported",
        `model ${this.identity.id}: the ${this.identity.backend} backend cannot tokenize`,
      );
    return this.inner.tokenize(text, o);
  }

  private params(p: GenerationParams, extraStop: string[] = []): GenerationParams {
    const merged: GenerationParams = { ...this.generationDefaults, ...p };
    const stop = [...(merged.stop ?? []), ...extraStop.filter((s) => !(merged.stop ?? []).includes(s))];
    if (stop.length > 0) merged.stop = stop;
    return merged;
  }

  async generate(input: ChatMessage[] | string, params: GenerationParams, o?: CallOptions): Promise<GenerateResult> {
    if (typeof input === "string" || this.mode === "engine") return this.inner.generate(input, this.params(params), o);
    const p = promptForModel(this.setup, input, { addGenerationPrompt: true, ...(this.now ? { now: this.now } : {}) });
    if (p.kind === "server") return this.inner.generate(p.messages, this.params(params), o);
    const r = await this.inner.generate(p.textWithoutBos, this.params(params, p.stop), o);
    return { ...r, promptAsSent: p.text };
  }

  async renderChat(messages: ChatMessage[], o: { addGenerationPrompt?: boolean } = {}): Promise<string> {
    if (this.mode === "engine" && this.inner.renderChat) return this.inner.renderChat(messages, o);
    const p = promptForModel(this.setup, messages, {
      addGenerationPrompt: o.addGenerationPrompt ?? true,
      ...(this.now ? { now: this.now } : {}),
    });
    if (p.kind === "server")
      throw new ModelmapError("unsupported", `model ${this.identity.id}: the server applies its own chat template`, {
        hint: "set template.name or template.path in modelmap.yaml to render prompts client-side",
      });
    return p.textWithoutBos;
  }

  loglikelihood(r: LoglikelihoodRequest[], o?: CallOptions): Promise<LoglikelihoodResult[]> {
    return this.inner.loglikelihood(r, o);
  }

  loglikelihoodRolling(t: string[], o?: CallOptions): Promise<RollingResult[]> {
    return this.inner.loglikelihoodRolling(t, o);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
