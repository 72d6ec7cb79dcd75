/**
 * Turns the prompt log-probabilities that `/v1/completions` returns with `echo: true` into continuation
 * scores. The context and continuation are sent as one prompt and split at the character boundary
 * (`text_offset`), as lm-evaluation-harness does for servers: trailing whitespace of the context moves to the
 * continuation first, so that " Paris" is one continuation token and not a context space plus "Paris".
 * Offsets are counted in Unicode code points, as Python servers (vLLM) count them.
 */
import { ModelmapError } from "../../core/errors.ts";
import type { LoglikelihoodResult, RollingResult } from "../types.ts";
import type { CompletionResponse } from "./schemas.ts";

export interface PromptToken {
  text: string;
  /** Code-point offset of the token's first character in prompt + generated text. */
  offset: number;
  /** Null where the server cannot score (the first token). */
  logprob: number | null;
  /** The top alternatives at this position; undefined when the server sent none. */
  top: number[] | undefined;
}

export const UNSUPPORTED_HINT =
  "score with the llama-cpp backend on the model's GGUF file, or serve the model with a server that returns " +
  "prompt logprobs (vLLM, or `modelmap serve-model FILE.gguf`)";

export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Moves trailing whitespace from the context to the continuation, as lm-evaluation-harness does. */
export function splitRequest(context: string, continuation: string): { prompt: string; boundary: number } {
  const trimmed = context.replace(/\s+$/u, "");
  return { prompt: context + continuation, boundary: codePointLength(trimmed) };
}

/** Normalises either logprobs format of the first choice into tokens with offsets; throws "unsupported" if absent. */
export function promptTokens(res: CompletionResponse, prompt: string, server: string): PromptToken[] {
  const choice = res.choices[0];
  const lp = choice?.logprobs;
  const promptLen = codePointLength(prompt);
  const unsupported = (why: string) =>
    new ModelmapError(
      "unsupported",
      `${server} returned no prompt log-probabilities (${why}), so log-likelihood cannot be computed`,
      {
        hint: UNSUPPORTED_HINT,
      },
    );
  if (!lp) throw unsupported("no logprobs in the response");
  // With echo the returned text starts with the prompt; without it the logprobs are the generated tokens'.
  if (!(choice?.text ?? "").startsWith(prompt)) throw unsupported("the response does not echo the prompt");
  let tokens: PromptToken[];
  if ("tokens" in lp) {
    const offsets = lp.text_offset ?? cumulativeOffsets(lp.tokens);
    if (lp.token_logprobs.length !== lp.tokens.length || offsets.length !== lp.tokens.length) {
      throw new ModelmapError(
        "backend",
        `${server}: logprobs arrays differ in length (tokens ${lp.tokens.length}, token_logprobs ${lp.token_logprobs.length}, text_offset ${offsets.length})`,
      );
    }
    tokens = lp.tokens.map((text, i) => ({
      text,
      offset: offsets[i] as number,
      logprob: lp.token_logprobs[i] ?? null,
      top: topValues(lp.top_logprobs?.[i]),
    }));
    if (!lp.text_offset) checkSpelling(tokens, prompt, server);
  } else {
    const content = lp.content ?? [];
    const offsets = cumulativeOffsets(content.map((c) => c.token));
    tokens = content.map((c, i) => ({
      text: c.token,
      offset: offsets[i] as number,
      logprob: c.logprob,
      top: c.top_logprobs ? c.top_logprobs.map((t) => t.logprob) : undefined,
    }));
    checkSpelling(tokens, prompt, server);
  }
  const inPrompt = tokens.filter((t) => t.offset < promptLen || (t.offset === 0 && promptLen === 0));
  if (inPrompt.length === 0) throw unsupported("the logprobs cover only generated tokens; `echo` was ignored");
  if (promptLen > 0 && inPrompt.every((t) => t.logprob === null))
    throw unsupported("every prompt token's logprob is null");
  return tokens;
}

/** Sum of the continuation tokens' logprobs: the tokens from the boundary to the end of the prompt. */
export function scoreContinuation(
  tokens: PromptToken[],
  boundary: number,
  promptLen: number,
  server: string,
): LoglikelihoodResult {
  const cont = tokens.filter(
    (t) => t.offset < promptLen && (t.offset >= boundary || t.offset + codePointLength(t.text) > boundary),
  );
  let logprob = 0;
  let isGreedy = true;
  const tokenLogprobs: number[] = [];
  for (const t of cont) {
    if (t.logprob === null) {
      throw new ModelmapError(
        "backend",
        `${server}: no logprob for continuation token '${t.text}' at offset ${t.offset}`,
      );
    }
    logprob += t.logprob;
    tokenLogprobs.push(t.logprob);
    // The token is greedy when nothing the server listed beats it; without top_logprobs we cannot tell.
    if (!t.top || t.top.length === 0) isGreedy = false;
    else if (Math.max(...t.top) > t.logprob + 1e-6 * Math.max(1, Math.abs(t.logprob))) isGreedy = false;
  }
  return { logprob, isGreedy: cont.length > 0 && isGreedy, tokenCount: cont.length, tokenLogprobs };
}

/** Sum over every prompt token that has a logprob (all but the first, or all after BOS where the server adds one). */
export function scoreRolling(tokens: PromptToken[], promptLen: number): RollingResult {
  const scored = tokens.filter((t) => t.offset < promptLen && t.logprob !== null);
  const tokenLogprobs = scored.map((t) => t.logprob as number);
  return { logprob: tokenLogprobs.reduce((a, b) => a + b, 0), tokenCount: scored.length, tokenLogprobs };
}

function cumulativeOffsets(texts: string[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const t of texts) {
    out.push(at);
    at += codePointLength(t);
  }
  return out;
}

/** Without text_offset the offsets come from the token texts, which is only sound if they spell the prompt. */
function checkSpelling(tokens: PromptToken[], prompt: string, server: string): void {
  const spelled = tokens.map((t) => t.text).join("");
  if (!spelled.startsWith(prompt)) {
    throw new ModelmapError(
      "backend",
      `${server}: the echoed tokens do not spell the prompt and the server sent no text_offset, so the context/continuation boundary cannot be found`,
      { hint: UNSUPPORTED_HINT },
    );
  }
}

function topValues(top: Record<string, number> | Array<{ logprob: number }> | null | undefined): number[] | undefined {
  if (!top) return undefined;
  return Array.isArray(top) ? top.map((t) => t.logprob) : Object.values(top);
}
