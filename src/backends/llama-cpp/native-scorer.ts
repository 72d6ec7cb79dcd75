/**
 * Log-likelihood scoring on the native scorer's own llama.cpp context (native/scorer.cpp), laid out so that a
 * request's numbers depend on its own tokens only, never on what ran before it (issue 19 item 7).
 *
 * llama.cpp's arithmetic for a token depends on how it is batched: the CPU kernels change with the number of rows
 * in a micro-batch (matrix-vector against matrix-matrix products, tiled flash attention from 64 query rows) and
 * with where the KV cells sit (SIMD lanes, attention tiles). So every computation here has one fixed layout:
 * - a context is cut into blocks of B positions from position 0 (CPU_BLOCK, GPU_BLOCK); each complete block is
 *   one decode and one micro-batch, placed in the KV cells of its own positions. A block's keys and values depend
 *   only on the tokens up to its end, which makes reusing it for a later request with the same tokens exact;
 * - an item (one context and all its continuations, the way the caller groups them) is one decode, like
 *   llama-perplexity's: the context's last, partial block once, shared by every continuation (each in its own
 *   sequence, common continuation prefixes shared too), evaluated after the cache holds exactly the complete
 *   blocks of that context. Items are never packed together, so an item's numbers do not depend on its
 *   neighbours (which would make `--limit 10` and `--limit 100` disagree on the same ten items).
 * A rolling window (perplexity, contamination) is decoded whole from position 0, in micro-batches of ITEM_UBATCH
 * rows as llama-perplexity decodes its chunks, with the outputs of its scored rows; it reuses no blocks, and the
 * blocks it displaces are set aside and put back for the next context that starts with them (see scoreRows).
 */
import type { LlamaModel } from "node-llama-cpp";
import { ModelmapError } from "../../core/errors.ts";
import type { NativeHandle, NativeScorerAddon } from "./native-build.ts";
import type { ScoreRequest } from "./scorer.ts";
import type { PositionScore } from "./tokens.ts";
import { MIN_LOGPROB } from "./tokens.ts";

/**
 * Positions per block, and the micro-batch size. On the CPU 64: llama.cpp's tiled flash attention needs 64 query
 * rows (below that a row-by-row kernel made 32-row blocks 3-5x slower on bench/llama-mc), and reuse still reaches
 * within 64 tokens of a shared prefix. On a GPU larger, since small batches waste it.
 */
export const CPU_BLOCK = 64;
export const GPU_BLOCK = 256;
/**
 * The micro-batch of an item's own decode (its context's last block and every continuation) and of a rolling
 * window: llama.cpp's default and llama-perplexity's. In 64-row micro-batches an item's last, partial one ran llama.cpp's row-by-row flash
 * attention (the tiled kernel needs 64 query rows): under perf, 10% of the samples against the tiled kernel's 5%
 * for about a tenth of the rows; HellaSwag on the zoo fixture took 1.4x the CPU. Complete blocks are still decoded
 * one block per call, so they stay one micro-batch each.
 */
const ITEM_UBATCH = 512;
/** KV cells beyond the model window, for the continuations of an item that are evaluated side by side. */
const CHOICE_ROOM = 256;
/** Sequences: 0 holds the context, the others one continuation each. */
const SEQUENCES = 16;
/**
 * Greedy generation gets a context of its own (one sequence, no unified KV cache) when its K and V caches take at
 * most this: llama_decode on the scoring context's unified cache checks each batch against all 256 sequences
 * llama.cpp allows (llama_batch_allocr::init: 12% of the samples of a zoo token under perf, against 0.2% without
 * the unified cache); bench/llama-generate on zoo went from 0.56 to 0.39 ms/token (CPU), llama-completion's pace.
 * For models whose cache is larger than this a token costs milliseconds, and a second cache would cost memory.
 */
const GENERATION_KV_BYTES = 16 << 20;
/** Bound on the logits buffer of one decode (rows x vocabulary x 4 bytes). */
const LOGITS_BYTES = 64 << 20;
/**
 * Bound on the copy of the item blocks a rolling call sets aside (keys and values of sequence 0): 600 KB for 512
 * positions of a zoo model, 64 MiB is 128 positions of a 7B model's f16 cache; beyond it they are dropped and
 * evaluated again when next needed.
 */
const SAVED_BYTES = 64 << 20;

interface Piece {
  tokens: number[];
  pos: number[];
  seqs: number[][];
  output: boolean[];
  /** Score entries: batch row and target token; `slot` says where the result goes. */
  entries: Array<{ row: number; target: number; slot: [number, number] }>;
}

interface TrieNode {
  row: number;
  next: Map<number, TrieNode>;
}

/** How many of `k`'s input tokens (all but its last) the trie already holds as a prefix. */
function sharedDepth(root: TrieNode, k: readonly number[]): number {
  let node = root;
  let d = 0;
  for (; d < k.length - 1; d++) {
    const child = node.next.get(k[d] as number);
    if (!child) break;
    node = child;
  }
  return d;
}

/** Adds `k`'s input tokens to the trie; returns how many nodes were new. */
function insert(root: TrieNode, k: readonly number[], row: number): number {
  let node = root;
  let added = 0;
  for (let d = 0; d < k.length - 1; d++) {
    const t = k[d] as number;
    let child = node.next.get(t);
    if (!child) {
      child = { row, next: new Map() };
      node.next.set(t, child);
      added++;
    }
    node = child;
  }
  return added;
}

function emptyPiece(): Piece {
  return { tokens: [], pos: [], seqs: [], output: [], entries: [] };
}

/** The log-probability of the addon's result `i` (4 numbers each): exact log-softmax from the logits (no float32
 * underflow here); only an impossible target gets the floor. */
export function rowLogprob(r: Float64Array, i: number): number {
  const lp = r[4 * i] as number;
  return Number.isFinite(lp) ? lp : MIN_LOGPROB;
}

function toScore(r: Float64Array, i: number): PositionScore {
  return {
    logprob: rowLogprob(r, i),
    greedy: r[4 * i + 1] === 1,
    mean: r[4 * i + 2] as number,
    variance: r[4 * i + 3] as number,
  };
}

export class NativeScorer {
  /** Tokens run through the model: the cost measure of the benchmarks. */
  tokensEvaluated = 0;
  /** Tokens of the complete blocks held in sequence 0 (a multiple of this.block long). */
  private kv: number[] = [];
  /** Tokens of the complete blocks the addon holds a copy of (setAside), to put back before the next context. */
  private saved: number[] | undefined;
  private readonly cells: number;
  /** Whether greedy generation runs on its own context (see GENERATION_KV_BYTES). */
  readonly ownGeneration: boolean;
  private readonly sequences: number;
  private readonly maxRows: number;
  private closed = false;

  private constructor(
    private readonly addon: NativeScorerAddon,
    private readonly handle: NativeHandle,
    readonly contextSize: number,
    private readonly block: number,
    private readonly savedBytes: number,
  ) {
    const info = addon.info(handle);
    this.cells = info.contextSize;
    this.sequences = info.sequences;
    this.ownGeneration = info.generationContext;
    this.maxRows = Math.max(this.block, Math.min(this.cells, Math.floor(LOGITS_BYTES / (4 * info.vocabulary))));
  }

  /**
   * Flash attention: llama.cpp's "auto" by default, as node-llama-cpp's contexts and llama-perplexity use, so all
   * three compute the same way. (Off was 2x faster on the zoo fixtures, whose 24-wide heads miss the AVX-512
   * attention kernels, but moved Min-K%++ statistics of a random-weight model by 2e-3 from node-llama-cpp's.)
   */
  static open(
    addon: NativeScorerAddon,
    model: LlamaModel,
    o: {
      contextSize: number;
      threads: number;
      block: number;
      flashAttention?: boolean;
      generationKvBytes?: number;
      /** Bound on the item blocks a rolling call sets aside (SAVED_BYTES). */
      savedBytes?: number;
    },
  ): NativeScorer {
    // node-llama-cpp keeps its native model object in `_model` (3.21.1); the addon checks what it finds there.
    const addonModel = (model as unknown as { _model?: unknown })._model;
    const cells = Math.ceil((o.contextSize + 1 + CHOICE_ROOM) / 256) * 256;
    const handle = addon.open(addonModel, {
      contextSize: cells,
      batchSize: cells,
      ubatchSize: Math.max(o.block, ITEM_UBATCH),
      sequences: SEQUENCES,
      threads: o.threads,
      flashAttention: o.flashAttention === undefined ? -1 : o.flashAttention ? 1 : 0,
      generationCells: Math.ceil(o.contextSize / 256) * 256,
      generationKvBytes: o.generationKvBytes ?? GENERATION_KV_BYTES,
    });
    return new NativeScorer(addon, handle, o.contextSize, o.block, o.savedBytes ?? SAVED_BYTES);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.close(this.handle);
  }

  /**
   * Scores the continuations of one context: one PositionScore list per continuation, in order. The caller
   * passes every continuation of the context that it has (an item's choices), always the same way.
   */
  async scoreGroup(
    context: readonly number[],
    continuations: ReadonlyArray<readonly number[]>,
    stats: boolean,
    signal?: AbortSignal,
  ): Promise<PositionScore[][]> {
    const c = context.length;
    if (c < 1) throw new Error("a context has at least one token");
    const longest = continuations.reduce((m, k) => Math.max(m, k.length), 0);
    if (c - 1 + longest > this.contextSize)
      throw new ModelmapError(
        "input",
        `request needs ${c - 1 + longest} tokens but the context holds ${this.contextSize}`,
      );
    const out: PositionScore[][] = continuations.map((k) => new Array<PositionScore>(k.length));
    if (longest === 0) return out;
    const cb = Math.floor((c - 1) / this.block) * this.block;
    await this.prepareBlocks(context, cb / this.block, signal);

    // Sub-groups of the continuations that need tokens of their own, within the sequence and cell limits; each
    // sub-group's tokens form a trie (a prefix two continuations share is evaluated once).
    const long = continuations.flatMap((k, j) => (k.length >= 2 ? [j] : []));
    const subgroups: number[][] = [];
    let cur: number[] = [];
    let trie: TrieNode = { row: -1, next: new Map() };
    let nodes = 0;
    for (const j of long) {
      const k = continuations[j] as readonly number[];
      const added = k.length - 1 - sharedDepth(trie, k);
      if (cur.length > 0 && (cur.length + 1 > this.sequences - 1 || c + nodes + added > this.cells)) {
        subgroups.push(cur);
        cur = [];
        trie = { row: -1, next: new Map() };
        nodes = 0;
      }
      nodes += insert(trie, k, -1);
      cur.push(j);
    }
    if (cur.length > 0 || subgroups.length === 0) subgroups.push(cur);

    try {
      for (const [g, members] of subgroups.entries()) {
        if (signal?.aborted) throw new ModelmapError("aborted", "log-likelihood scoring aborted");
        const batch = emptyPiece();
        if (g === 0) {
          // The context's last block, shared by every continuation; its last row predicts every first token.
          const all = [0, ...members.map((_, i) => i + 1)];
          for (let p = cb; p < c; p++) {
            batch.tokens.push(context[p] as number);
            batch.pos.push(p);
            batch.seqs.push(all);
            batch.output.push(p === c - 1);
          }
          continuations.forEach((k, j) => {
            if (k.length > 0) batch.entries.push({ row: c - 1 - cb, target: k[0] as number, slot: [j, 0] });
          });
          if (cb > 0) for (let s = 1; s <= members.length; s++) this.addon.seqCp(this.handle, 0, s, 0, cb);
        } else {
          for (let s = 1; s <= members.length; s++) this.addon.seqCp(this.handle, 0, s, 0, c);
        }
        // The continuations' own tokens, one batch row per trie node.
        const root: TrieNode = { row: -1, next: new Map() };
        members.forEach((j, i) => {
          const k = continuations[j] as readonly number[];
          let node = root;
          for (let d = 0; d < k.length - 1; d++) {
            const t = k[d] as number;
            let child = node.next.get(t);
            if (!child) {
              child = { row: batch.tokens.length, next: new Map() };
              node.next.set(t, child);
              batch.tokens.push(t);
              batch.pos.push(c + d);
              batch.seqs.push([]);
              batch.output.push(true);
            }
            node = child;
            (batch.seqs[child.row] as number[]).push(i + 1);
            batch.entries.push({ row: child.row, target: k[d + 1] as number, slot: [j, d + 1] });
          }
        });
        for (const piece of this.cut(batch)) {
          const r = await this.decode(piece, stats);
          piece.entries.forEach((e, i) => {
            (out[e.slot[0]] as PositionScore[])[e.slot[1]] = toScore(r, i);
          });
        }
        for (let s = 1; s <= members.length; s++) this.addon.seqRm(this.handle, s, -1, -1);
      }
    } finally {
      // Back to exactly the complete blocks of this context.
      for (let s = 1; s < this.sequences; s++) this.addon.seqRm(this.handle, s, -1, -1);
      this.addon.seqRm(this.handle, -1, cb, -1);
    }
    return out;
  }

  /**
   * Greedy generation after `prompt`: its complete blocks come from (or go to) the cache as for a context, the
   * rest is one decode, then one token at a time until an end-of-generation token (kept, last), a stop string in
   * the text, maxTokens, or the signal. The cache holds the prompt's complete blocks afterwards. On the generation
   * context (small models, see GENERATION_KV_BYTES) the addon lays the prompt out the same way in its own cache.
   */
  async generate(
    prompt: readonly number[],
    o: { maxTokens: number; stops: readonly string[]; signal?: AbortSignal | undefined },
  ): Promise<{ tokens: number[]; reason: "stop" | "length" | "abort" }> {
    const c = prompt.length;
    if (c < 1) throw new Error("a prompt has at least one token");
    if (o.maxTokens <= 0) return { tokens: [], reason: "length" };
    if (this.closed) throw new ModelmapError("backend", "the native scorer is closed");
    const cb = Math.floor((c - 1) / this.block) * this.block;
    if (!this.ownGeneration) await this.prepareBlocks(prompt, cb / this.block, o.signal);
    const onAbort = () => this.addon.cancel(this.handle);
    o.signal?.addEventListener("abort", onAbort);
    try {
      if (o.signal?.aborted) return { tokens: [], reason: "abort" };
      const r = this.ownGeneration
        ? await this.addon.generate(this.handle, Int32Array.from(prompt), 0, o.maxTokens, [...o.stops], this.block)
        : await this.addon.generate(this.handle, Int32Array.from(prompt.slice(cb)), cb, o.maxTokens, [...o.stops], 0);
      this.tokensEvaluated += r.evaluated;
      return { tokens: [...r.tokens], reason: r.reason };
    } catch (e) {
      this.addon.clear(this.handle);
      this.kv = [];
      this.saved = undefined;
      throw new ModelmapError("backend", `llama.cpp generation failed: ${(e as Error).message}`, { cause: e });
    } finally {
      o.signal?.removeEventListener("abort", onAbort);
      if (!this.ownGeneration) this.addon.seqRm(this.handle, -1, cb, -1);
    }
  }

  /**
   * Scores positions firstScored-1 .. n-2 of `tokens` (each against the token after it): rolling windows. The
   * whole request is decoded from position 0 in micro-batches of ITEM_UBATCH rows (the cut at the logits bound is
   * the only other boundary), the scored rows as outputs, as llama-perplexity decodes a chunk: its layout depends
   * on its own tokens only. It reuses no blocks (the item blocks it displaces are set aside: scoreRows): rolling
   * texts share prefixes of 64 tokens with almost nothing (bench/contamination, sorted texts: 0.3% of the tokens on
   * a 512-token model, none on the zoo's), while 64-row blocks with outputs took 4.4x llama-perplexity's time on
   * zoo-generalist's chunks, against 1.6x this way (bench/llama-rolling).
   */
  async scoreSequence(req: ScoreRequest, stats: boolean, signal?: AbortSignal): Promise<PositionScore[]> {
    const r = await this.scoreRows(req, stats, signal);
    return Array.from({ length: r.length / 4 }, (_, i) => toScore(r, i));
  }

  /**
   * scoreSequence's numbers as they come from the addon, 4 per scored position (log-probability, greedy 0/1, mean,
   * variance of log p): rolling windows' whole rows are scored, and objects per position plus the generic batch
   * (one array and one entry object per row, sorted and put back in order) cost 0.3 ms of a window's JavaScript.
   * The decodes are cut(blockPiece(...))'s: non-output rows, then output rows in pieces of at most maxRows.
   */
  async scoreRows(req: ScoreRequest, stats: boolean, signal?: AbortSignal): Promise<Float64Array> {
    const { tokens, firstScored } = req;
    const inputs = tokens.length - 1;
    if (firstScored < 1 || firstScored > tokens.length) throw new Error("firstScored out of range");
    if (inputs > this.contextSize)
      throw new ModelmapError("input", `request needs ${inputs} tokens but the context holds ${this.contextSize}`);
    const from = firstScored - 1;
    const out = new Float64Array(4 * (inputs - from));
    const all = Int32Array.from(tokens);
    this.setAside();
    this.dropBlocks();
    try {
      let start = 0;
      let end = Math.min(inputs, from + this.maxRows);
      do {
        if (signal?.aborted) throw new ModelmapError("aborted", "log-likelihood scoring aborted");
        const n = end - start;
        const pos = new Int32Array(n);
        for (let i = 0; i < n; i++) pos[i] = start + i;
        const first = Math.max(from, start) - start;
        const rows = new Int32Array(n - first);
        for (let i = 0; i < rows.length; i++) rows[i] = first + i;
        const targets = all.subarray(start + first + 1, end + 1);
        out.set(await this.decodeRows(all.subarray(start, end), pos, rows, targets, stats), 4 * (start + first - from));
        start = end;
        end = Math.min(inputs, end + this.maxRows);
      } while (start < inputs);
    } finally {
      this.dropBlocks();
    }
    return out;
  }

  /**
   * Copies the item blocks out of the cache before a rolling window takes their cells (the first window of a call;
   * the next ones find none), so that an item after a rolling call does not evaluate its context again: llama.cpp's
   * per-sequence state, bytes of keys and values that go back into the same cells of an emptied cache
   * (bringBack), so the numbers do not move. The addon declines for models with a sliding-window cache.
   */
  private setAside(): void {
    if (this.kv.length > 0 && this.saved === undefined && this.addon.save(this.handle, this.savedBytes))
      this.saved = this.kv;
  }

  /** Puts the blocks setAside copied back when `tokens` starts with at least one of them (up to block `upTo`). */
  private bringBack(tokens: readonly number[], upTo: number): void {
    const saved = this.saved;
    if (saved === undefined) return;
    this.saved = undefined;
    const n = Math.min(saved.length, upTo * this.block);
    let same = 0;
    while (same < n && saved[same] === tokens[same]) same++;
    if (this.addon.restore(this.handle, this.kv.length === 0 && same >= this.block)) this.kv = saved;
  }

  private dropBlocks(): void {
    if (!this.closed) this.addon.seqRm(this.handle, -1, 0, -1);
    this.kv = [];
  }

  /** Keeps the cached complete blocks that match `tokens`, drops the rest, and evaluates blocks up to `upTo`. */
  private async prepareBlocks(tokens: readonly number[], upTo: number, signal: AbortSignal | undefined): Promise<void> {
    this.bringBack(tokens, upTo);
    let kept = 0;
    while (kept < upTo * this.block && kept < this.kv.length && this.kv[kept] === tokens[kept]) kept++;
    const k = Math.floor(kept / this.block);
    this.addon.seqRm(this.handle, -1, k * this.block, -1);
    this.kv.length = k * this.block;
    // Blocks without outputs, one decode (one micro-batch) each.
    for (let b = k; b < upTo; b++) {
      if (signal?.aborted) throw new ModelmapError("aborted", "log-likelihood scoring aborted");
      const start = b * this.block;
      const end = start + this.block;
      await this.decode(this.blockPiece(tokens, start, end, Number.POSITIVE_INFINITY), false);
      for (let p = start; p < end; p++) this.kv[p] = tokens[p] as number;
    }
  }

  private blockPiece(tokens: readonly number[], start: number, end: number, from: number): Piece {
    const piece = emptyPiece();
    for (let p = start; p < end; p++) {
      const row = piece.tokens.length;
      piece.tokens.push(tokens[p] as number);
      piece.pos.push(p);
      piece.seqs.push([0]);
      piece.output.push(p >= from);
      if (p >= from) piece.entries.push({ row, target: tokens[p + 1] as number, slot: [0, 0] });
    }
    return piece;
  }

  /** Cuts a batch into decodes of at most maxRows output rows (tokens without output ride along). */
  private cut(batch: Piece): Piece[] {
    const rows = batch.output.reduce((n, o) => n + (o ? 1 : 0), 0);
    if (rows <= this.maxRows) return [batch];
    const pieces: Piece[] = [];
    let cur = emptyPiece();
    let curRows = 0;
    const moved = new Map<number, number>();
    for (let i = 0; i < batch.tokens.length; i++) {
      if (batch.output[i] && curRows === this.maxRows) {
        pieces.push(cur);
        cur = emptyPiece();
        curRows = 0;
      }
      moved.set(i, pieces.length * 1_000_000 + cur.tokens.length);
      cur.tokens.push(batch.tokens[i] as number);
      cur.pos.push(batch.pos[i] as number);
      cur.seqs.push(batch.seqs[i] as number[]);
      cur.output.push(batch.output[i] as boolean);
      if (batch.output[i]) curRows++;
    }
    pieces.push(cur);
    for (const e of batch.entries) {
      const m = moved.get(e.row) as number;
      (pieces[Math.floor(m / 1_000_000)] as Piece).entries.push({ ...e, row: m % 1_000_000 });
    }
    return pieces;
  }

  /**
   * One decode of `tokens` at `pos`, all in sequence 0, with outputs at `rows` (ascending), each scored against the
   * target at the same index: decode()'s call without its per-row lists.
   */
  private decodeRows(
    tokens: Int32Array,
    pos: Int32Array,
    rows: Int32Array,
    targets: Int32Array,
    stats: boolean,
  ): Promise<Float64Array> {
    const n = tokens.length;
    return this.call(n, (h) =>
      this.addon.decode(h, tokens, pos, new Int32Array(n).fill(1), new Int32Array(n), rows, rows, targets, stats),
    );
  }

  /**
   * One addon decode of n tokens. A failed one may leave part of its batch in the cache: the next request starts
   * from an empty one.
   */
  private async call(n: number, run: (h: NativeHandle) => Promise<Float64Array>): Promise<Float64Array> {
    if (this.closed) throw new ModelmapError("backend", "the native scorer is closed");
    let r: Float64Array;
    try {
      r = await run(this.handle);
    } catch (e) {
      this.addon.clear(this.handle);
      this.kv = [];
      this.saved = undefined;
      throw new ModelmapError("backend", `llama.cpp could not evaluate ${n} tokens: ${(e as Error).message}`, {
        cause: e,
      });
    }
    this.tokensEvaluated += n;
    return r;
  }

  private async decode(piece: Piece, stats: boolean): Promise<Float64Array> {
    const n = piece.tokens.length;
    const nSeq = new Int32Array(n);
    const ids: number[] = [];
    const outputs: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = piece.seqs[i] as number[];
      nSeq[i] = s.length;
      for (const x of s) ids.push(x);
      if (piece.output[i]) outputs.push(i);
    }
    // The addon scores a row's entries together; list them grouped by row.
    const order = piece.entries
      .map((_, i) => i)
      .sort((a, b) => (piece.entries[a]?.row ?? 0) - (piece.entries[b]?.row ?? 0));
    const rows = Int32Array.from(order, (i) => piece.entries[i]?.row ?? 0);
    const targets = Int32Array.from(order, (i) => piece.entries[i]?.target ?? 0);
    const r = await this.call(n, (h) =>
      this.addon.decode(
        h,
        Int32Array.from(piece.tokens),
        Int32Array.from(piece.pos),
        nSeq,
        Int32Array.from(ids),
        Int32Array.from(outputs),
        rows,
        targets,
        stats,
      ),
    );
    // Back to the entries' own order.
    const back = new Float64Array(r.length);
    order.forEach((i, k) => {
      back.set(r.subarray(4 * k, 4 * k + 4), 4 * i);
    });
    return back;
  }
}
