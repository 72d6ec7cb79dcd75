/**
 * The one place that opens a model: a spec (config entry, GGUF file, endpoint) becomes an engine from
 * `backends/` with middleware around it (see docs/decisions/0003-models.md). The engines are imported lazily,
 * so that a command touching only HTTP models never loads node-llama-cpp, and vice versa.
 *
 * A configured model applies its system prompt and chat template itself and says how (`provenance`), so that
 * run logs record the template and system prompt by content hash:
 * - llama-cpp: the template (GGUF, tokenizer_config, named or none) is rendered by modelmap; the engine adds
 *   BOS per the GGUF, so the rendered text is handed over without a template-written BOS (never two).
 * - openai with a template chosen in the config (named, tokenizer_config, none): rendered by modelmap and sent
 *   as a prompt to /completions, without a leading BOS (servers add their own), with the template's stop
 *   strings; what was sent comes back as promptAsSent.
 * - openai with template.source auto and no name or path: messages go to /chat/completions and the server
 *   applies its own template (the system prompt is still applied here).
 * A bare GGUF or endpoint is the engine itself, with no provenance (the run records none).
 */
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { basename, isAbsolute, resolve } from "node:path";
import type { LlamaCppBackend, LlamaCppOptions } from "../backends/llama-cpp/index.ts";
import type { OpenAIBackend, OpenAIBackendOptions } from "../backends/openai/index.ts";
import type { Backend, BackendCapabilities, GenerationParams, ModelIdentity } from "../backends/types.ts";
import { findModel } from "../config/load.ts";
import { endpointsOf, type ModelConfig, ModelConfigSchema } from "../config/schema.ts";
import { ModelmapError } from "../core/errors.ts";
import { checkGgufForEngine } from "../gguf/check.ts";
import { type BackendMiddleware, wrapBackend } from "./middleware.ts";
import { generationDefaults, lazyLoading, type PromptingMode, prompting, unopened } from "./middlewares.ts";
import { ggufTokenizerInfo, type PromptingContext, promptForModel, resolveModelPrompting } from "./prompting.ts";
import type { ConfigModelSpec, EndpointModelSpec, GgufModelSpec, ModelContext, ModelSpec } from "./spec.ts";

/** Opens the model a spec names. A bare GGUF is the llama.cpp engine itself, with its engine-specific calls. */
export function resolveModel(
  spec: GgufModelSpec & { chatTemplate?: false },
  ctx: ModelContext,
): Promise<LlamaCppBackend>;
export function resolveModel(spec: ModelSpec, ctx: ModelContext): Promise<Backend>;
export async function resolveModel(spec: ModelSpec, ctx: ModelContext): Promise<Backend> {
  if (spec.kind === "endpoint") return openEndpoint(spec);
  if (spec.kind === "gguf") return openGguf(spec, ctx);
  const model =
    typeof spec.model !== "string"
      ? spec.model
      : ctx.config !== undefined
        ? findModel(ctx.config, spec.model)
        : notConfigured(spec.model);
  const prompts: PromptingContext = {
    presets: ctx.config?.config.system_prompts,
    systemPrompt: spec.systemPrompt,
  };
  return model.backend === "llama-cpp"
    ? openLlamaCppModel(model, prompts, spec, ctx.env)
    : openOpenAIModel(model, prompts, spec, ctx);
}

function notConfigured(id: string): never {
  throw new ModelmapError("not_found", `unknown model '${id}': no modelmap.yaml was loaded`, {
    hint: "pass --config FILE, or use NAME@http://host:port/v1 for a model behind an OpenAI-compatible server",
  });
}

async function openEngine(o: LlamaCppOptions): Promise<LlamaCppBackend> {
  // The engine's own header reader is not bounded (a crafted count crashes the process): modelmap's reads it
  // first, with llama.cpp's checks, and refuses the file with a reason naming it.
  if (existsSync(o.modelPath)) checkGgufForEngine(o.modelPath);
  const { openLlamaCppBackend } = await import("../backends/llama-cpp/index.ts");
  return openLlamaCppBackend(o);
}

async function openServer(o: OpenAIBackendOptions): Promise<OpenAIBackend> {
  const { OpenAIBackend } = await import("../backends/openai/index.ts");
  return new OpenAIBackend(o);
}

function openEndpoint(spec: EndpointModelSpec): Promise<OpenAIBackend> {
  return openServer({
    id: spec.id,
    model: spec.modelName,
    baseUrls: [spec.url],
    ...(spec.apiKey !== undefined ? { apiKey: spec.apiKey } : {}),
    ...(spec.concurrency !== undefined ? { concurrency: spec.concurrency } : {}),
    ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
  });
}

function absolute(path: string, ctx: ModelContext): string {
  if (isAbsolute(path)) return path;
  if (ctx.cwd === undefined) throw new ModelmapError("internal", `relative path ${path} and no working directory`);
  return resolve(ctx.cwd, path);
}

/**
 * A model file must exist and be a GGUF (its first four bytes are "GGUF") before llama.cpp sees it: a missing
 * file or a text file passed as --gguf is the user's to fix (exit code 2), not an engine failure.
 */
function requireGgufFile(file: string, what: string): void {
  if (!existsSync(file)) throw new ModelmapError("not_found", `${what}: ${file} does not exist`);
  let magic = "";
  try {
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.alloc(4);
      readSync(fd, buf, 0, 4, 0);
      magic = buf.toString("latin1");
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new ModelmapError("input", `${what}: cannot read ${file}: ${(e as Error).message}`);
  }
  if (magic !== "GGUF")
    throw new ModelmapError("input", `${what}: ${file} is not a GGUF file (a GGUF starts with the bytes "GGUF")`, {
      hint: "pass a .gguf model file (llama.cpp's format); other formats (safetensors, PyTorch) need converting or a server",
    });
}

function openGguf(spec: GgufModelSpec, ctx: ModelContext): Promise<Backend> {
  const file = absolute(spec.file, ctx);
  const id = spec.id ?? basename(spec.file);
  requireGgufFile(file, `model ${id}`);
  if (spec.chatTemplate) {
    if (spec.renderChat !== undefined)
      throw new ModelmapError("internal", `model ${id}: give chatTemplate or renderChat, not both`);
    // The GGUF's own chat template, rendered by the templates module, exactly as for a configured llama-cpp model.
    // A file name may hold characters a configured id may not ('model^2.gguf' was a raw zod error): fit it.
    const safe = id.replace(/[^A-Za-z0-9._:/@+-]/g, "_");
    const model = ModelConfigSchema.parse({
      id: /^[A-Za-z0-9]/.test(safe) ? safe : `gguf_${safe}`,
      backend: "llama-cpp",
      file,
      ...(spec.contextSize !== undefined ? { context_size: spec.contextSize } : {}),
      ...(spec.gpu === "auto" ? { gpu: true } : {}),
    });
    return openLlamaCppModel(model, {}, { kind: "config", model, ...settings(spec) }, ctx.env);
  }
  return openEngine({
    modelPath: file,
    id,
    env: ctx.env,
    ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
    ...(spec.threads !== undefined ? { threads: spec.threads } : {}),
    ...(spec.contextSize !== undefined ? { contextSize: spec.contextSize } : {}),
    ...(spec.gpu !== undefined ? { gpu: spec.gpu } : {}),
    ...(spec.renderChat !== undefined ? { renderChat: spec.renderChat } : {}),
  });
}

function settings(spec: { seed?: number; threads?: number }): { seed?: number; threads?: number } {
  return {
    ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
    ...(spec.threads !== undefined ? { threads: spec.threads } : {}),
  };
}

/** The config entry's generation defaults as backend parameters. */
export function generationParams(m: ModelConfig): GenerationParams {
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

/** Generation defaults (outermost, so that the template's stop strings join them) and the prompting layer. */
function layers(model: ModelConfig, prompts: BackendMiddleware): BackendMiddleware[] {
  const defaults = generationParams(model);
  return Object.keys(defaults).length > 0 ? [generationDefaults(defaults), prompts] : [prompts];
}

/** What the llama.cpp engine can do once open with a chat renderer (declared before a lazy one is). */
const LLAMA_CPP_CAPABILITIES: BackendCapabilities = {
  chat: true,
  completion: true,
  loglikelihood: true,
  loglikelihoodRolling: true,
  tokenize: true,
  tokenStats: true,
  concurrency: 1,
};

async function openLlamaCppModel(
  model: ModelConfig,
  prompts: PromptingContext,
  spec: ConfigModelSpec,
  env: ModelContext["env"],
): Promise<Backend> {
  const file = model.file;
  if (file === undefined) throw new ModelmapError("config", `model ${model.id}: llama-cpp needs file`);
  requireGgufFile(file, `model ${model.id}`);
  // Resolving before loading fails fast on a broken template, pointing into it, before the weights load.
  const gguf = existsSync(file) ? ggufTokenizerInfo(file) : undefined;
  const setup = resolveModelPrompting(model, { ...prompts, gguf });
  // Whether the engine prepends BOS: the GGUF's add_bos_token when present (the engine reads the same key),
  // else the engine's default, which prepends BOS for the vocabularies that lack the key in practice.
  const engineAddsBos = gguf?.addBosMetadata ?? true;
  const threads = spec.threads ?? model.threads;
  const clock = spec.now ? { now: spec.now } : {};
  const open = () =>
    openEngine({
      modelPath: file,
      id: model.id,
      env,
      seed: spec.seed ?? 0,
      ...(model.context_size !== undefined ? { contextSize: model.context_size } : {}),
      ...(model.gpu ? { gpu: "auto" as const } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(model.cpu_variant !== undefined ? { cpuVariant: model.cpu_variant } : {}),
      renderChat: (messages, rc) => {
        const p = promptForModel(setup, messages, { addGenerationPrompt: rc.addGenerationPrompt, ...clock });
        // When the engine prepends BOS itself, a BOS the template wrote is dropped here; when it does not, the
        // template's BOS string stays and is tokenized as the BOS token. Either way: one BOS.
        if (p.kind !== "text") return p.messages.map((m) => m.content).join("\n\n");
        return engineAddsBos ? p.textWithoutBos : p.text;
      },
    });
  const around = layers(model, prompting(setup, { mode: "engine", modelId: model.id, now: spec.now }));
  if (!spec.lazy) return wrapBackend(await open(), ...around);
  const { fileSha256 } = await import("../backends/llama-cpp/engine.ts");
  // Caches are keyed on the identity, which for a GGUF is its name and sha256: known without the engine.
  const identity: ModelIdentity = {
    id: model.id,
    backend: "llama-cpp",
    name: basename(file),
    fileSha256: await fileSha256(file),
  };
  const onLoad = typeof spec.lazy === "object" ? spec.lazy.onLoad : undefined;
  return wrapBackend(
    unopened(identity, LLAMA_CPP_CAPABILITIES),
    ...around,
    lazyLoading(open, {
      provides: ["tokenize", "detokenize", "promptLogprobs", "renderChat"],
      expect: identity,
      ...(onLoad ? { onLoad } : {}),
    }),
  );
}

function openOpenAIModel(
  model: ModelConfig,
  prompts: PromptingContext,
  spec: ConfigModelSpec,
  ctx: ModelContext,
): Backend {
  let apiKey: string | undefined;
  if (model.api_key_env !== undefined) {
    apiKey = ctx.env[model.api_key_env];
    if (!apiKey)
      throw new ModelmapError("auth", `model ${model.id}: environment variable ${model.api_key_env} is not set`, {
        location: { field: "api_key_env" },
        hint: `export ${model.api_key_env}=... (the API key of ${endpointsOf(model).join(", ")})`,
      });
  }
  const setup = resolveModelPrompting(model, prompts);
  const urls = endpointsOf(model);
  const identity: ModelIdentity = {
    id: model.id,
    backend: "openai",
    name: model.model ?? model.id,
    endpoint: urls.join(","),
  };
  // Log-likelihood support is only known once a server answers (`modelmap models check` probes it).
  const capabilities: BackendCapabilities = {
    chat: true,
    completion: true,
    loglikelihood: true,
    loglikelihoodRolling: true,
    tokenize: false,
    tokenStats: false,
    concurrency: model.concurrency ?? 16,
  };
  // Opening is cheap, but the openai module is imported on first use: models never called never load it.
  const open = () =>
    openServer({
      id: model.id,
      model: model.model ?? model.id,
      baseUrls: urls,
      seed: spec.seed ?? 0,
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(model.concurrency !== undefined ? { concurrency: model.concurrency } : {}),
      ...(model.timeout_ms !== undefined ? { timeoutMs: model.timeout_ms } : {}),
      ...(model.max_retries !== undefined ? { maxRetries: model.max_retries } : {}),
    });
  const mode: PromptingMode = setup.template === undefined ? "server" : "text";
  return wrapBackend(
    unopened(identity, capabilities),
    ...layers(model, prompting(setup, { mode, modelId: model.id, now: spec.now })),
    lazyLoading(open, { provides: ["listModels"] }),
  );
}
