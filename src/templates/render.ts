/**
 * Turning a conversation into exactly the text a model sees, through its chat template.
 *
 * BOS: many templates write `bos_token` themselves while llama.cpp, vLLM and HF tokenizers also prepend BOS
 * when they tokenize. The result says whether the text already starts with BOS (`bosInText`) and whether the
 * engine should still add one (`addBos`); `textWithoutBos` is for engines that always prepend it themselves.
 * Either way the model sees one BOS, never two.
 */
import type { ChatMessage } from "../backends/types.ts";
import { sha256 } from "../core/hash.ts";
import { type CompiledTemplate, compileTemplate, type RenderLimits, renderCompiled } from "./sandbox.ts";

export type TemplateSource = "gguf" | "tokenizer_config" | "named" | "none";

/** A chat template chosen for a model (see resolve.ts), or none for plain completion. */
export interface ResolvedTemplate {
  source: TemplateSource;
  /** Named template name, tokenizer_config entry name, or undefined. */
  name: string | undefined;
  /** Jinja source; undefined when source is "none". */
  template: string | undefined;
  /** sha256 of the template source ("" for none): what run logs record. */
  hash: string;
  /** For error messages: a file path, "gguf:FILE" or "named:NAME". */
  origin: string;
  /** Special tokens known from where the template came from (tokenizer_config or named defaults). */
  bosToken?: string;
  eosToken?: string;
  /** Whether the tokenizer prepends BOS by itself, where the source says so. */
  addBosToken?: boolean;
  stop: string[];
}

export interface ChatRenderOptions {
  /** Append the assistant header so that the model answers next (default true). */
  addGenerationPrompt?: boolean;
  /**
   * Leave the final (assistant) message open, for scoring or prefilling a continuation: the text is cut right
   * after that message's content, as transformers' continue_final_message does. Implies no generation prompt.
   */
  continueFinalMessage?: boolean;
  bosToken?: string;
  eosToken?: string;
  /** Whether the engine prepends BOS when it tokenizes this text (default: the template's, else true). */
  tokenizerAddsBos?: boolean;
  /**
   * What to do with a system message when the template rejects or ignores the system role (Gemma, old
   * Mistral, Phi-3-mini): "merge" prepends it to the first user message with a newline, as llama.cpp does;
   * "error" lets the template's own error through.
   */
  systemRoleFallback?: "merge" | "error";
  /** Extra template variables (tools, documents, date_string, ...). */
  variables?: Record<string, unknown>;
  limits?: Partial<RenderLimits>;
  /** Clock for strftime_now (fix it for reproducible prompts). */
  now?: Date;
}

export interface ChatRenderResult {
  /** Exactly what the model sees as text (a BOS written by the template included). */
  text: string;
  /** The text starts with the BOS token string. */
  bosInText: boolean;
  /** The engine should prepend BOS when it tokenizes `text`. */
  addBos: boolean;
  /** `text` without a leading BOS string, for engines that always prepend BOS themselves. */
  textWithoutBos: string;
  /** Adjustments made so that the template could render (e.g. "system-merged-into-first-user"). */
  adjustments: string[];
}

const compiled = new Map<string, CompiledTemplate>();

/** Compiles once per template content; the cache is small because a run uses a handful of templates. */
export function compiledFor(t: ResolvedTemplate): CompiledTemplate {
  const src = t.template ?? "";
  const key = `${t.origin}\u0000${sha256(src)}`;
  let c = compiled.get(key);
  if (!c) {
    c = compileTemplate(src, t.origin);
    if (compiled.size >= 64) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, c);
  }
  return c;
}

const supportsSystem = new Map<string, boolean>();

/** Whether a template keeps a system message: render a marker and look for it (llama.cpp does the same). */
export function templateSupportsSystemRole(t: ResolvedTemplate, opts: ChatRenderOptions = {}): boolean {
  if (t.template === undefined) return true;
  const cached = supportsSystem.get(t.hash);
  if (cached !== undefined) return cached;
  const needle = "<System Needle 7f3a>";
  let ok: boolean;
  try {
    const out = renderCompiled(
      compiledFor(t),
      templateVariables(
        t,
        [
          { role: "system", content: needle },
          { role: "user", content: "Hey" },
        ],
        true,
        opts,
      ),
      renderOpts(opts),
    );
    ok = out.includes(needle);
  } catch {
    ok = false;
  }
  supportsSystem.set(t.hash, ok);
  return ok;
}

function renderOpts(opts: ChatRenderOptions) {
  const o: { limits?: Partial<RenderLimits>; now?: Date } = {};
  if (opts.limits) o.limits = opts.limits;
  if (opts.now) o.now = opts.now;
  return o;
}

function templateVariables(
  t: ResolvedTemplate,
  messages: ChatMessage[],
  addGenerationPrompt: boolean,
  opts: ChatRenderOptions,
): Record<string, unknown> {
  return {
    ...opts.variables,
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: addGenerationPrompt,
    bos_token: opts.bosToken ?? t.bosToken ?? "",
    eos_token: opts.eosToken ?? t.eosToken ?? "",
  };
}

/** Merges a leading system message into the first user message, for templates without a system role. */
export function mergeSystemIntoFirstUser(messages: ChatMessage[]): ChatMessage[] {
  const [first, ...rest] = messages;
  if (first?.role !== "system") return messages;
  const i = rest.findIndex((m) => m.role === "user");
  if (i < 0) return [{ role: "user", content: first.content }, ...rest];
  return rest.map((m, j) => (j === i ? { role: "user", content: `${first.content}\n${m.content}` } : m));
}

/** Plain completion (no template): message contents joined by blank lines, as base models are prompted. */
function renderPlain(messages: ChatMessage[]): string {
  return messages.map((m) => m.content).join("\n\n");
}

export function renderChat(
  t: ResolvedTemplate,
  messages: ChatMessage[],
  opts: ChatRenderOptions = {},
): ChatRenderResult {
  const adjustments: string[] = [];
  const bos = opts.bosToken ?? t.bosToken ?? "";
  const continueFinal = opts.continueFinalMessage === true;
  const addGen = continueFinal ? false : (opts.addGenerationPrompt ?? true);
  let text: string;
  if (t.template === undefined) {
    text = renderPlain(messages);
  } else {
    let msgs = messages;
    if (
      (opts.systemRoleFallback ?? "merge") === "merge" &&
      msgs[0]?.role === "system" &&
      !templateSupportsSystemRole(t, opts)
    ) {
      msgs = mergeSystemIntoFirstUser(msgs);
      adjustments.push("system-merged-into-first-user");
    }
    text = renderCompiled(compiledFor(t), templateVariables(t, msgs, addGen, opts), renderOpts(opts));
    if (continueFinal) text = cutAfterFinalMessage(text, msgs);
  }
  const bosInText = bos !== "" && text.startsWith(bos);
  const tokenizerAddsBos = opts.tokenizerAddsBos ?? t.addBosToken ?? true;
  return {
    text,
    bosInText,
    addBos: tokenizerAddsBos && !bosInText,
    textWithoutBos: bosInText ? text.slice(bos.length) : text,
    adjustments,
  };
}

function cutAfterFinalMessage(text: string, messages: ChatMessage[]): string {
  const last = messages.at(-1);
  if (!last || last.content === "") return text;
  // Templates often trim content, so look for the trimmed form too.
  for (const needle of [last.content, last.content.trim()]) {
    const at = text.lastIndexOf(needle);
    if (at >= 0) return text.slice(0, at + needle.length);
  }
  return text;
}
