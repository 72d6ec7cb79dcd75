/**
 * Every prompt token's logprob with its top alternatives and a text piece, for `serve-model`'s OpenAI-style
 * `echo` + `logprobs` (written by the openai/serve-model side; used by LlamaCppBackend.promptLogprobs).
 *
 * Text pieces: each token's piece is the difference between decoding a short window ending at it and the same
 * window without it. Windows (not single tokens) keep SentencePiece's leading-space rule and multi-byte UTF-8
 * characters right: a token that ends inside a character gets "" and the token that completes it gets the
 * character, so the pieces concatenate to the prompt and `text_offset` can be computed from them.
 */
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { ModelmapError } from "../../core/errors.ts";
import type { PromptTokenScore } from "../types.ts";
import type { SequenceScorer } from "./scorer.ts";
import { commonPrefix, scorePosition } from "./tokens.ts";

const WINDOW = 8;

/** The last scored prompt per sequence, for prefix reuse. */
const lastScored = new WeakMap<SequenceScorer, { tokens: number[]; scores: PromptTokenScore[]; topK: number }>();
const CHUNK = 256;

export function tokenPieces(model: LlamaModel, tokens: readonly number[], textStart: number): string[] {
  const pieces: string[] = [];
  let pending = 0; // tokens since the last complete character
  for (let i = 0; i < tokens.length; i++) {
    if (i < textStart) {
      pieces.push("");
      continue;
    }
    const start = Math.max(textStart, i - WINDOW - pending);
    const before = model.detokenize(tokens.slice(start, i) as Token[], true).replace(/\uFFFD+$/u, "");
    const through = model.detokenize(tokens.slice(start, i + 1) as Token[], true);
    if (through.endsWith("\uFFFD")) {
      pieces.push("");
      pending++;
      continue;
    }
    pending = 0;
    pieces.push(through.startsWith(before) ? through.slice(before.length) : through);
  }
  return pieces;
}

/** Scores `tokens` (prefix tokens first, then the text's) from scratch on the scorer's sequence. */
export async function scorePromptTokens(
  model: LlamaModel,
  seq: LlamaContextSequence,
  scorer: SequenceScorer,
  tokens: readonly number[],
  textStart: number,
  topK: number,
  signal: AbortSignal | undefined,
): Promise<PromptTokenScore[]> {
  if (tokens.length > scorer.contextSize) {
    throw new ModelmapError("input", `prompt has ${tokens.length} tokens; the context holds ${scorer.contextSize}`);
  }
  const pieces = tokenPieces(model, tokens, textStart);
  const out: PromptTokenScore[] = tokens.map((id, i) => ({ id, text: pieces[i] as string, logprob: null, top: [] }));
  const input = tokens.slice(0, -1);
  // Reuse the previous request's shared prefix (a multiple-choice context sent once per choice): its tokens
  // are still in the KV cache and their scores are remembered. Position `keep` is evaluated again because
  // its distribution predicts the first token that may differ.
  const last = lastScored.get(scorer);
  let keep = 0;
  if (last && last.topK >= topK) {
    const same = Math.min(commonPrefix(last.tokens, tokens), commonPrefix(scorer.cachedTokens, tokens));
    keep = Math.max(0, Math.min(same - 1, input.length));
  }
  for (let i = 1; i <= keep; i++) {
    const prev = last?.scores[i] as PromptTokenScore;
    (out[i] as PromptTokenScore).logprob = prev.logprob;
    (out[i] as PromptTokenScore).top = prev.top.slice(0, topK);
  }
  lastScored.delete(scorer);
  try {
    await scorer.truncate(keep);
    for (let start = keep; start < input.length; start += CHUNK) {
      if (signal?.aborted) throw new ModelmapError("aborted", "prompt scoring aborted");
      const end = Math.min(start + CHUNK, input.length);
      const items: Array<[Token, { generateNext: { probabilities: true } }]> = [];
      for (let p = start; p < end; p++) items.push([input[p] as Token, { generateNext: { probabilities: true } }]);
      const results = await seq.controlledEvaluate(items);
      scorer.tokensEvaluated += end - start;
      for (let p = start; p < end; p++) {
        const dist = results[p - start]?.next.probabilities;
        if (!dist) throw new ModelmapError("backend", `llama.cpp returned no distribution at position ${p}`);
        const target = out[p + 1] as PromptTokenScore;
        target.logprob = scorePosition(dist, target.id).logprob;
        // node-llama-cpp lists the distribution by descending probability.
        for (const [id, prob] of dist) {
          if (target.top.length >= topK) break;
          target.top.push({ id, text: model.detokenize([id as Token], true), logprob: Math.log(prob) });
        }
      }
    }
  } finally {
    // The KV cache now holds these tokens; let the scorer take it over from the sequence.
    scorer.resync();
  }
  lastScored.set(scorer, { tokens: [...tokens], scores: out, topK });
  return out;
}
