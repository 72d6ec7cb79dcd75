/**
 * How a configured model is prompted: which chat template (and from where), which system prompt, which BOS
 * and EOS. Shared by the backend factory (to render what is sent), `modelmap template render` (to show it)
 * and `modelmap models check`. For a GGUF model the template and special tokens are read from the file
 * header, without loading the weights.
 */
import { existsSync } from "node:fs";
import { basename } from "node:path";
import type { ChatMessage } from "../backends/types.ts";
import type { ModelConfig } from "../config/schema.ts";
import { ModelmapError } from "../core/errors.ts";
import { readGgufHeader } from "../gguf/reader.ts";
import { type RenderedPrompt, renderPrompt } from "../templates/prompt.ts";
import type { ChatRenderOptions, ResolvedTemplate } from "../templates/render.ts";
import { resolveTemplate } from "../templates/resolve.ts";
import {
  type ResolvedSystemPrompt,
  resolveSystemPrompt,
  type SystemPromptSpec,
  withSystemPrompt,
} from "../templates/system-prompt.ts";

export interface GgufTokenizerInfo {
  chatTemplate: string | undefined;
  bosToken: string | undefined;
  eosToken: string | undefined;
  /** tokenizer.ggml.add_bos_token, else llama.cpp's default for the vocabulary type. */
  addBos: boolean;
  /** tokenizer.ggml.add_bos_token itself, when the file has it (the engine then reads the same value). */
  addBosMetadata: boolean | undefined;
}

/** Chat template and special tokens from a GGUF header. */
export function ggufTokenizerInfo(path: string): GgufTokenizerInfo {
  const h = readGgufHeader(path);
  const m = h.metadata;
  const tokens = m["tokenizer.ggml.tokens"];
  const tokenText = (key: string): string | undefined => {
    const id = m[key];
    if (typeof id !== "number" || !Array.isArray(tokens)) return undefined;
    const t = tokens[id];
    return typeof t === "string" ? t : undefined;
  };
  const tmpl = m["tokenizer.chat_template"];
  const addBos = m["tokenizer.ggml.add_bos_token"];
  const vocab = m["tokenizer.ggml.model"];
  return {
    chatTemplate: typeof tmpl === "string" ? tmpl : undefined,
    bosToken: tokenText("tokenizer.ggml.bos_token_id"),
    eosToken: tokenText("tokenizer.ggml.eos_token_id"),
    // llama.cpp prepends BOS by default for SentencePiece and WordPiece vocabularies.
    addBos: typeof addBos === "boolean" ? addBos : vocab === "llama" || vocab === "bert",
    addBosMetadata: typeof addBos === "boolean" ? addBos : undefined,
  };
}

export interface ModelPrompting {
  /**
   * The template modelmap renders with; undefined when an openai model leaves the template to its server
   * (template.source auto with neither name nor path): the exact prompt is then only known server-side.
   */
  template: ResolvedTemplate | undefined;
  systemPrompt: ResolvedSystemPrompt;
  /** Whether the engine prepends BOS to a prompt string (true for servers, which do it themselves). */
  tokenizerAddsBos: boolean;
}

export interface PromptingContext {
  /** The config's system_prompts. */
  presets?: Readonly<Record<string, string>> | undefined;
  /** Overrides the model's configured system prompt (e.g. --system / --system-preset). */
  systemPrompt?: SystemPromptSpec | undefined;
  /** Already-read GGUF tokenizer info (the llama-cpp backend knows it once loaded). */
  gguf?: GgufTokenizerInfo | undefined;
}

export function resolveModelPrompting(model: ModelConfig, ctx: PromptingContext = {}): ModelPrompting {
  const spec = model.template ?? { source: "auto" as const };
  const systemPrompt = resolveSystemPrompt(ctx.systemPrompt ?? model.system_prompt, {
    presets: ctx.presets,
    modelDefault: model.default_system_prompt,
  });
  if (model.backend === "llama-cpp") {
    const file = model.file ?? "";
    if (ctx.gguf === undefined && !existsSync(file) && (spec.source === "auto" || spec.source === "gguf"))
      throw new ModelmapError("not_found", `model ${model.id}: GGUF file not found: ${file}`, {
        location: { file, field: "file" },
        hint: "its chat template is read from the file; fix models[].file in modelmap.yaml",
      });
    const gguf = ctx.gguf ?? (existsSync(file) ? ggufTokenizerInfo(file) : undefined);
    const template = resolveTemplate(
      { source: spec.source, name: spec.name, path: spec.path },
      {
        ggufChatTemplate: gguf?.chatTemplate,
        ggufOrigin: basename(file),
        ...(gguf?.bosToken !== undefined ? { bosToken: gguf.bosToken } : {}),
        ...(gguf?.eosToken !== undefined ? { eosToken: gguf.eosToken } : {}),
      },
    );
    return { template, systemPrompt, tokenizerAddsBos: gguf?.addBos ?? template.addBosToken ?? true };
  }
  if (spec.source === "auto" && spec.name === undefined && spec.path === undefined)
    return { template: undefined, systemPrompt, tokenizerAddsBos: true };
  const template = resolveTemplate({ source: spec.source, name: spec.name, path: spec.path });
  // OpenAI-compatible servers tokenize a /completions prompt with BOS prepended (vLLM, llama.cpp, TGI).
  return { template, systemPrompt, tokenizerAddsBos: true };
}

export type PromptForModel =
  | ({ kind: "text" } & RenderedPrompt)
  | {
      kind: "server";
      /** The messages sent to /chat/completions (system prompt applied); the server's template does the rest. */
      messages: ChatMessage[];
      systemPromptSource: string;
      systemPromptHash: string;
    };

/** What the model is sent for a conversation: rendered text, or messages for a server-side template. */
export function promptForModel(
  p: ModelPrompting,
  messages: ChatMessage[],
  opts: Omit<ChatRenderOptions, "tokenizerAddsBos"> = {},
): PromptForModel {
  if (p.template === undefined)
    return {
      kind: "server",
      messages: withSystemPrompt(messages, p.systemPrompt),
      systemPromptSource: p.systemPrompt.source,
      systemPromptHash: p.systemPrompt.hash,
    };
  return {
    kind: "text",
    ...renderPrompt(p.template, p.systemPrompt, messages, { ...opts, tokenizerAddsBos: p.tokenizerAddsBos }),
  };
}

/** What a configured model is sent for a conversation (the service behind `modelmap template render`). */
export function renderForModel(
  model: ModelConfig,
  messages: ChatMessage[],
  opts: {
    presets?: Readonly<Record<string, string>> | undefined;
    systemPrompt?: SystemPromptSpec | undefined;
    addGenerationPrompt?: boolean;
  } = {},
): { prompt: PromptForModel; prompting: ModelPrompting } {
  const prompting = resolveModelPrompting(model, { presets: opts.presets, systemPrompt: opts.systemPrompt });
  return {
    prompt: promptForModel(prompting, messages, { addGenerationPrompt: opts.addGenerationPrompt ?? true }),
    prompting,
  };
}
