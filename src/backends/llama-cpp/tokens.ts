/**
 * Pure token bookkeeping for log-likelihood scoring, kept apart from the engine so it can be tested alone.
 * The rules follow lm-evaluation-harness, so that numbers are comparable with published ones:
 * - trailing whitespace of the context moves to the front of the continuation;
 * - context+continuation is tokenized whole, and split at the length of the context's own tokenization,
 *   so that a space or a merge across the boundary is not tokenized twice;
 * - an empty context is replaced by the prefix token (BOS, or EOS for models without one);
 * - rolling log-likelihood splits long texts into windows of at most the context size.
 */

export type TokenizeFn = (text: string) => number[];

export interface EncodedPair {
  /** Tokens of the context, including the prefix token (BOS) when there is one. */
  context: number[];
  continuation: number[];
}

/** Moves trailing whitespace from the context to the continuation (lm-evaluation-harness `_encode_pair`). */
export function moveTrailingSpace(context: string, continuation: string): [string, string] {
  const trimmed = context.replace(/\s+$/u, "");
  const n = context.length - trimmed.length;
  if (n === 0) return [context, continuation];
  return [trimmed, context.slice(trimmed.length) + continuation];
}

/**
 * Encodes a (context, continuation) pair. `prefix` is what goes before the text: [BOS] for models that want
 * BOS, [] otherwise; `emptyContextToken` stands in for an empty context (harness: BOS, else EOT).
 */
export function encodePair(
  tokenize: TokenizeFn,
  rawContext: string,
  rawContinuation: string,
  prefix: readonly number[],
  emptyContextToken: number,
): EncodedPair {
  const [context, continuation] = moveTrailingSpace(rawContext, rawContinuation);
  if (context === "") {
    return { context: prefix.length > 0 ? [...prefix] : [emptyContextToken], continuation: tokenize(continuation) };
  }
  const contextTokens = tokenize(context);
  // A context that already starts with BOS (a template wrote bos_token) must not get a second one.
  const pre = prefix.length > 0 && contextTokens[0] === prefix[0] ? [] : prefix;
  const whole = [...pre, ...tokenize(context + continuation)];
  const contextLen = pre.length + contextTokens.length;
  return { context: whole.slice(0, contextLen), continuation: whole.slice(contextLen) };
}

export interface RollingWindow {
  /** Tokens fed to the model. */
  input: number[];
  /** How many of the last positions of `input` are scored; position i predicts the token after it. */
  scored: number;
  /** The predicted tokens, in order (the tokens following each scored position). */
  targets: number[];
}

/**
 * lm-evaluation-harness `get_rolling_token_windows` + `make_disjoint_window`: every token is predicted
 * exactly once; the first window is conditioned on the prefix token, later windows on up to `contextLen`
 * tokens of overlap (harness default 1).
 */
export function rollingWindows(
  tokens: readonly number[],
  prefixToken: number,
  maxSeqLen: number,
  contextLen = 1,
): RollingWindow[] {
  if (maxSeqLen < 1 || contextLen < 1 || contextLen > maxSeqLen) throw new Error("bad rolling window sizes");
  const out: RollingWindow[] = [];
  if (tokens.length === 0) return out;
  const predLen = maxSeqLen - contextLen + 1;
  const firstLen = Math.min(maxSeqLen, tokens.length);
  out.push({
    input: [prefixToken, ...tokens.slice(0, firstLen - 1)],
    scored: firstLen,
    targets: tokens.slice(0, firstLen),
  });
  let predicted = firstLen;
  while (predicted < tokens.length) {
    const windowPredLen = Math.min(tokens.length - predicted, predLen);
    const end = predicted + windowPredLen;
    const input = tokens.slice(Math.max(0, end - maxSeqLen - 1), end - 1);
    const targets = tokens.slice(end - windowPredLen, end);
    // make_disjoint_window: drop the input positions whose predictions were already scored.
    out.push({ input, scored: targets.length, targets });
    predicted += windowPredLen;
  }
  return out;
}

export interface PositionScore {
  logprob: number;
  greedy: boolean;
  /** E[log p] and Var[log p] under the model's own next-token distribution (Min-K%++). */
  mean: number;
  variance: number;
}

/**
 * Float32 softmax underflows below about e^-103; such a token gets this floor instead of -Infinity so that
 * sums stay finite and JSON-safe.
 */
export const MIN_LOGPROB = Math.log(1.401298464324817e-45);

/**
 * Scores `target` under a next-token distribution given as a Map sorted by descending probability
 * (node-llama-cpp's `probabilities` output).
 */
export function scorePosition(probabilities: ReadonlyMap<number, number>, target: number): PositionScore {
  // Iterating values (not entries) avoids allocating a pair per vocabulary entry: this loop runs over the
  // whole vocabulary at every scored position.
  const greedyToken = probabilities.keys().next().value ?? -1;
  let mean = 0;
  let second = 0;
  for (const p of probabilities.values()) {
    if (p > 0) {
      const lp = Math.log(p);
      const plp = p * lp;
      mean += plp;
      second += plp * lp;
    }
  }
  const p = probabilities.get(target) ?? 0;
  return {
    logprob: p > 0 ? Math.max(Math.log(p), MIN_LOGPROB) : MIN_LOGPROB,
    greedy: greedyToken === target,
    mean,
    variance: Math.max(0, second - mean * mean),
  };
}

/** Length of the longest common prefix of two token arrays. */
export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
