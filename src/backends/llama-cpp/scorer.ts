/**
 * Scores token sequences on one llama.cpp context sequence, reusing its KV cache across requests.
 *
 * The sequence keeps whatever was evaluated last. A new request keeps the longest common prefix with it and
 * evaluates only the rest, asking for the next-token distribution only at the positions that predict scored
 * tokens. The distributions of the last request's scored positions are kept, so that for multiple choice
 * (one context, several continuations, sorted next to each other) the context is evaluated once and each
 * choice costs only its own tokens minus one: the last token of a continuation predicts nothing we need.
 */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { ModelmapError } from "../../core/errors.ts";
import { commonPrefix, type PositionScore, scorePosition } from "./tokens.ts";

type Distribution = ReadonlyMap<number, number>;

export interface ScoreRequest {
  /** All tokens of the request: context (with BOS) then the scored tokens. */
  tokens: readonly number[];
  /** Index of the first scored token in `tokens` (>= 1: it must have something before it). */
  firstScored: number;
}

/**
 * Memory bound, in distribution entries (one per vocabulary token per position, ~50-70 bytes each in a Map):
 * it sets how many positions are evaluated per call and how many distributions are kept for reuse, so that a
 * 150k-token vocabulary (Llama 3, Qwen) gets fewer positions per call than a 32k one.
 */
const MAP_ENTRY_BUDGET = 8_000_000;

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

export class SequenceScorer {
  /** Mirror of the tokens in the sequence's KV cache. */
  private kv: number[] = [];
  /** dists[i]: next-token distribution after kv[0..i], where kept. */
  private dists: Array<Distribution | undefined> = [];
  /** Tokens run through the model by this scorer and by generation on the same sequence. */
  tokensEvaluated = 0;
  /** Vocabulary size, learned from the first distribution. */
  private vocab = 0;

  constructor(
    private readonly seq: LlamaContextSequence,
    readonly contextSize: number,
  ) {}

  /** Forget the cached distributions and take the KV state from the sequence (after generation used it). */
  resync(): void {
    this.kv = [...this.seq.contextTokens];
    // dists[i] must stay aligned with kv[i]: a shorter array would shift every distribution pushed later onto
    // the wrong position (issue 19 item 7: after generation, a later choice read another position's scores).
    this.dists = new Array(this.kv.length).fill(undefined);
  }

  /** Tokens currently in the KV cache (for generation to reuse a prompt prefix). */
  get cachedTokens(): readonly number[] {
    return this.kv;
  }

  /** Erases the KV cache from `keep` on. */
  async truncate(keep: number): Promise<void> {
    const end = this.seq.nextTokenIndex;
    if (end > keep) await this.seq.eraseContextTokenRanges([{ start: keep, end }]);
    this.kv.length = Math.min(this.kv.length, keep);
    this.dists.length = this.kv.length;
  }

  /** Returns one PositionScore per scored token, in order. */
  async score(req: ScoreRequest, signal?: AbortSignal): Promise<PositionScore[]> {
    const { tokens, firstScored } = req;
    if (firstScored < 1 || firstScored > tokens.length) throw new Error("firstScored out of range");
    const input = tokens.slice(0, -1);
    if (input.length > this.contextSize) {
      throw new ModelmapError(
        "input",
        `request needs ${input.length} tokens but the context holds ${this.contextSize}`,
      );
    }
    const from = firstScored - 1; // first position whose distribution we need
    let keep = Math.min(commonPrefix(this.kv, input), input.length);
    for (let p = from; p < keep; p++) {
      if (this.dists[p] === undefined) {
        keep = p;
        break;
      }
    }
    const out: PositionScore[] = [];
    for (let p = from; p < keep; p++) out.push(scorePosition(this.dists[p] as Distribution, tokens[p + 1] as number));
    if (keep === input.length) return out;

    await this.truncate(keep);
    // Unscored context in one call (node-llama-cpp batches it), then scored positions in bounded chunks.
    const unscoredEnd = Math.max(keep, from);
    for (let start = keep; start < input.length; ) {
      if (signal?.aborted) throw new ModelmapError("aborted", "log-likelihood scoring aborted");
      const chunk = this.vocab === 0 ? 16 : clamp(Math.floor(MAP_ENTRY_BUDGET / this.vocab), 8, 512);
      // The first scored positions are the ones the next request (another choice) can share.
      const cacheEnd = from + (this.vocab === 0 ? 16 : clamp(Math.floor(MAP_ENTRY_BUDGET / 2 / this.vocab), 1, 256));
      const end = start < unscoredEnd ? unscoredEnd : Math.min(start + chunk, input.length);
      const items = [] as Array<Token | [Token, { generateNext: { probabilities: true } }]>;
      for (let p = start; p < end; p++) {
        const t = input[p] as Token;
        items.push(p >= from ? [t, { generateNext: { probabilities: true } }] : t);
      }
      const results = await this.seq.controlledEvaluate(items);
      this.tokensEvaluated += end - start;
      for (let p = start; p < end; p++) {
        this.kv.push(input[p] as number);
        if (p < from) {
          this.dists.push(undefined);
          continue;
        }
        const dist = results[p - start]?.next.probabilities;
        if (!dist) throw new ModelmapError("backend", `llama.cpp returned no distribution at position ${p}`);
        this.vocab = dist.size;
        this.dists.push(p < cacheEnd ? dist : undefined);
        out.push(scorePosition(dist, tokens[p + 1] as number));
      }
      start = end;
    }
    return out;
  }
}
