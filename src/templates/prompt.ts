/**
 * The one call a backend or runner makes to get the prompt for a conversation: system prompt applied,
 * template rendered, BOS decided, and everything a run log needs to record it by content hash.
 */
import type { ChatMessage } from "../backends/types.ts";
import { type ChatRenderOptions, type ResolvedTemplate, renderChat, type TemplateSource } from "./render.ts";
import { type ResolvedSystemPrompt, withSystemPrompt } from "./system-prompt.ts";

export interface RenderedPrompt {
  /** Exactly what the model sees as text. */
  text: string;
  /** The engine should prepend BOS when tokenizing `text` (false when the template wrote it). */
  addBos: boolean;
  /** `text` without a template-written BOS, for engines that always prepend one. */
  textWithoutBos: string;
  /** Where the template came from: gguf, tokenizer_config, named or none. */
  source: TemplateSource;
  templateName: string | undefined;
  /** sha256 of the template source. */
  templateHash: string;
  /** none, default, preset:NAME or custom. */
  systemPromptSource: string;
  /** sha256 of the system prompt text ("" when none). */
  systemPromptHash: string;
  /** Adjustments made to fit the template, e.g. system-merged-into-first-user. */
  adjustments: string[];
  /** Strings that end the assistant's turn. */
  stop: string[];
}

export function renderPrompt(
  template: ResolvedTemplate,
  systemPrompt: ResolvedSystemPrompt,
  messages: ChatMessage[],
  opts: ChatRenderOptions = {},
): RenderedPrompt {
  const r = renderChat(template, withSystemPrompt(messages, systemPrompt), opts);
  return {
    text: r.text,
    addBos: r.addBos,
    textWithoutBos: r.textWithoutBos,
    source: template.source,
    templateName: template.name,
    templateHash: template.hash,
    systemPromptSource: systemPrompt.source,
    systemPromptHash: systemPrompt.hash,
    adjustments: r.adjustments,
    stop: template.stop,
  };
}
