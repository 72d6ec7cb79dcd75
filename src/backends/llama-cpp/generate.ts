/**
 * Text generation on a llama.cpp sequence: sampling parameters, stop sequences (cut from the returned text),
 * end-of-generation tokens, the context limit, and cancellation. Reuses the KV prefix the sequence already
 * holds (a shared system prompt or few-shot block is not evaluated again).
 */
import type { LlamaContextSequence, LlamaModel, SequenceEvaluateOptions, Token } from "node-llama-cpp";
import { ModelmapError } from "../../core/errors.ts";
import type { FinishReason, GenerationParams } from "../types.ts";
import type { SequenceScorer } from "./scorer.ts";
import { commonPrefix } from "./tokens.ts";

export const DEFAULT_MAX_TOKENS = 256;

export interface GenerationOutcome {
  text: string;
  finishReason: FinishReason;
  completionTokens: number;
}

/** Earliest occurrence of any stop string in `text`, or -1. */
export function findStop(text: string, stops: readonly string[], from = 0): number {
  let at = -1;
  for (const s of stops) {
    if (s === "") continue;
    const i = text.indexOf(s, from);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/**
 * How much of `text` can be streamed: everything but a trailing part that may still grow into a stop sequence
 * (a suffix that is a proper prefix of one) or that ends inside a UTF-8 character (U+FFFD from detokenize).
 */
export function streamableEnd(text: string, stops: readonly string[]): number {
  let stable = text.length;
  while (stable > 0 && text.charCodeAt(stable - 1) === 0xfffd) stable--;
  let end = stable;
  for (const s of stops) {
    for (let k = Math.min(s.length - 1, stable); k > 0; k--) {
      if (text.startsWith(s.slice(0, k), stable - k)) {
        end = Math.min(end, stable - k);
        break;
      }
    }
  }
  return end;
}

export function samplingOptions(
  params: GenerationParams,
  defaultSeed: number,
  history: () => Token[],
): SequenceEvaluateOptions {
  // OpenAI-like defaults (no top-k, top-p 1), and greedy unless a temperature is given: evaluation wants
  // reproducible output. node-llama-cpp's own defaults (top-k 40, top-p 0.95) would silently differ.
  const opts: SequenceEvaluateOptions = {
    temperature: params.temperature ?? 0,
    topK: params.topK ?? 0,
    topP: params.topP ?? 1,
    minP: params.minP ?? 0,
    seed: params.seed ?? defaultSeed,
  };
  if (params.repeatPenalty !== undefined && params.repeatPenalty !== 1) {
    opts.repeatPenalty = { punishTokens: history, penalty: params.repeatPenalty };
  }
  return opts;
}

export async function generateTokens(
  model: LlamaModel,
  seq: LlamaContextSequence,
  scorer: SequenceScorer,
  prompt: readonly number[],
  params: GenerationParams,
  defaultSeed: number,
  signal: AbortSignal | undefined,
  onText?: (delta: string) => void,
): Promise<GenerationOutcome> {
  const room = scorer.contextSize - prompt.length;
  if (room <= 0) {
    throw new ModelmapError("input", `prompt has ${prompt.length} tokens; the context holds ${scorer.contextSize}`, {
      hint: "shorten the prompt or open the model with a larger contextSize",
    });
  }
  const maxTokens = Math.min(params.maxTokens ?? DEFAULT_MAX_TOKENS, room);
  const stops = params.stop ?? [];
  // Keep the cached prefix, but re-evaluate at least the last prompt token: its output samples the first token.
  const keep = Math.min(commonPrefix(scorer.cachedTokens, prompt), prompt.length - 1);
  await scorer.truncate(keep);
  const generated: Token[] = [];
  let finishReason: FinishReason = "length";
  let text = "";
  let committed = "";
  let pendingFrom = 0;
  let searchFrom = 0;
  const maxStopLength = stops.reduce((m, x) => Math.max(m, x.length), 0);
  let emitted = 0;
  try {
    if (maxTokens > 0 && !signal?.aborted) {
      const opts = samplingOptions(params, defaultSeed, () => generated);
      const toEval = prompt.slice(keep) as Token[];
      scorer.tokensEvaluated += toEval.length;
      for await (const token of seq.evaluate(toEval, opts)) {
        if (model.isEogToken(token)) {
          generated.push(token);
          finishReason = "stop";
          break;
        }
        generated.push(token);
        // Incremental: decode only the tokens since the last complete character (with the tokens before them
        // as context for SentencePiece spacing), so long generations stay linear.
        const pendingText = model.detokenize(
          generated.slice(pendingFrom),
          true,
          generated.slice(Math.max(0, pendingFrom - 8), pendingFrom),
        );
        text = committed + pendingText;
        if (!pendingText.endsWith("\ufffd")) {
          committed = text;
          pendingFrom = generated.length;
        }
        const at = findStop(text, stops, searchFrom);
        searchFrom = Math.max(0, committed.length - maxStopLength);
        if (at >= 0) {
          text = text.slice(0, at);
          finishReason = "stop";
          break;
        }
        if (onText) {
          const safe = streamableEnd(text, stops);
          if (safe > emitted) {
            onText(text.slice(emitted, safe));
            emitted = safe;
          }
        }
        if (generated.length >= maxTokens) break;
        if (signal?.aborted) {
          finishReason = "abort";
          break;
        }
        scorer.tokensEvaluated += 1;
      }
    } else if (signal?.aborted) finishReason = "abort";
  } finally {
    scorer.resync();
  }
  if (onText && text.length > emitted) onText(text.slice(emitted));
  return { text, finishReason, completionTokens: generated.length };
}
