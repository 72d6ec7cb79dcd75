/**
 * System prompt presets. "none" sends no system message (the Open LLM Leaderboard's choice; a template with a
 * built-in default, like Vicuna's or Qwen's, still writes its own); "default" uses the model's configured
 * default system prompt (or, without one, behaves like none); any other name is a preset from the config's
 * `system_prompts`; `text` is a custom prompt. Whatever is chosen is recorded by name and content hash.
 */
import type { ChatMessage } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { sha256 } from "../core/hash.ts";

export type SystemPromptSpec = { preset: string } | { text: string };

export interface ResolvedSystemPrompt {
  /** The system message content, or undefined for no system message. */
  text: string | undefined;
  /** "none", "default", "preset:NAME" or "custom". */
  source: string;
  /** sha256 of the text ("" when there is none). */
  hash: string;
}

export function resolveSystemPrompt(
  spec: SystemPromptSpec | undefined,
  ctx: { presets?: Readonly<Record<string, string>> | undefined; modelDefault?: string | undefined } = {},
): ResolvedSystemPrompt {
  const make = (text: string | undefined, source: string): ResolvedSystemPrompt => ({
    text,
    source,
    hash: sha256(text ?? ""),
  });
  if (spec === undefined) return make(undefined, "none");
  if ("text" in spec) return make(spec.text, "custom");
  if (spec.preset === "none") return make(undefined, "none");
  if (spec.preset === "default") return make(ctx.modelDefault, "default");
  const text = ctx.presets?.[spec.preset];
  if (text === undefined)
    throw new ModelmapError("not_found", `unknown system prompt preset '${spec.preset}'`, {
      location: { field: "system_prompt.preset" },
      hint: `presets: none, default${Object.keys(ctx.presets ?? {})
        .map((k) => `, ${k}`)
        .join("")}`,
    });
  return make(text, `preset:${spec.preset}`);
}

/** Puts the system prompt in front of the conversation, replacing a system message the conversation had. */
export function withSystemPrompt(messages: ChatMessage[], sp: ResolvedSystemPrompt): ChatMessage[] {
  if (sp.text === undefined) return messages;
  const rest = messages[0]?.role === "system" ? messages.slice(1) : messages;
  return [{ role: "system", content: sp.text }, ...rest];
}
