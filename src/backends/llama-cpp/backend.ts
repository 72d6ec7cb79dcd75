/**
 * The `llama-cpp` backend: GGUF models in-process through node-llama-cpp (imported lazily).
 *
 * One model; calls are serialized (the engine already uses every core for one batch). Log-likelihood requests
 * are tokenized the lm-evaluation-harness way (see tokens.ts), sorted so that requests sharing a context are
 * adjacent, grouped by context, and scored by the native scorer (native-scorer.ts) on a context of its own: a
 * multiple-choice item's context is evaluated once for all its choices, and a request's numbers do not depend
 * on what ran before it. Generation and prompt log-probabilities use node-llama-cpp's own context, created on
 * first use. Where the native scorer cannot be built, scoring falls back to node-llama-cpp's probabilities
 * (scorer.ts): the same numbers to about 1e-5, many times slower.
 */
import { existsSync } from "node:fs";
import { basename } from "node:path";
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { ModelmapError } from "../../core/errors.ts";
import {
  BACKEND_SPEC_VERSION,
  type Backend,
  type BackendCapabilities,
  type CallOptions,
  type ChatMessage,
  type GenerateResult,
  type GenerationParams,
  type LoglikelihoodRequest,
  type LoglikelihoodResult,
  type ModelIdentity,
  type PromptTokenScore,
  type RollingResult,
} from "../types.ts";
import { type CpuVariantStatus, cpuVariantSetting } from "./cpu-variant.ts";
import { engineCpuVariant, engineErrorMark, engineErrorsAfter, fileSha256, getSharedLlama } from "./engine.ts";
import { DEFAULT_MAX_TOKENS, findStop, generateTokens } from "./generate.ts";
import { loadNativeScorer, type NativeEnv, type NativeStatus } from "./native-build.ts";
import { CPU_BLOCK, GPU_BLOCK, NativeScorer, rowLogprob } from "./native-scorer.ts";
import { scorePromptTokens } from "./prompt-logprobs.ts";
import { type ScoreRequest, SequenceScorer } from "./scorer.ts";
import { encodePair, type PositionScore, rollingWindows } from "./tokens.ts";

export interface ChatRenderContext {
  addGenerationPrompt: boolean;
  /** The GGUF's own template (tokenizer.chat_template), when it has one. */
  ggufTemplate: string | undefined;
  bosToken: string;
  eosToken: string;
}

/** Renders chat messages to the exact prompt text; supplied by the templates module (or a test). */
export type ChatRenderer = (messages: ChatMessage[], ctx: ChatRenderContext) => string | Promise<string>;

export interface LlamaCppOptions {
  modelPath: string;
  /** Configured model id (defaults to the file name). */
  id?: string;
  /** Tokens the model sees at once (lm-evaluation-harness max_length); default min(training context, 4096). */
  contextSize?: number;
  /** false (default): CPU. "auto": let node-llama-cpp use CUDA, Metal or Vulkan when present. */
  gpu?: false | "auto";
  threads?: number;
  batchSize?: number;
  /** Sampling seed when a request gives none (reproducible by default). */
  seed?: number;
  /** Prepend BOS to prompts and contexts; default: what the GGUF says (shouldPrependBosToken). */
  addBos?: boolean;
  /** Overlap, in tokens, between rolling log-likelihood windows (lm-evaluation-harness uses 1). */
  rollingContextTokens?: number;
  renderChat?: ChatRenderer;
  /**
   * The ggml CPU variant the engine runs on: "auto" (default; AVX2 for embedding widths under 128, else ggml's
   * choice), "ggml" (ggml's choice) or a shipped variant's name ("haswell", "zen4", ...); else
   * MODELMAP_LLAMA_CPU_VARIANT from `env`. One per process: the first model opened decides (cpu-variant.ts).
   */
  cpuVariant?: string;
  /** Score with the native scorer when it can be built (default true); false: node-llama-cpp's probabilities. */
  nativeScorer?: boolean;
  /**
   * The environment the shell hands in, for the native scorer's build (MODELMAP_NATIVE_SCORER, CXX,
   * MODELMAP_CACHE_DIR, XDG_CACHE_HOME; see native-build.ts). Default: none set.
   */
  env?: NativeEnv;
}

/**
 * Why llama.cpp refused a model, from its log: a reason about the file (unknown architecture, missing tensor or
 * key, wrong shape) is the user's to fix (exit 2); anything else (out of memory, a driver) is the engine's.
 */
function loadError(path: string, cause: unknown, log: string[]): ModelmapError {
  const reasons = log.map((l) => /error loading model: (.*)$/.exec(l)?.[1]).filter((r): r is string => r !== undefined);
  const reason = reasons.at(-1)?.replace(/\s+/g, " ");
  const fileProblem =
    reason !== undefined && !/alloc|out of memory|\bOOM\b|CUDA|Vulkan|Metal|device|buffer/i.test(reason);
  return new ModelmapError(
    fileProblem ? "input" : "backend",
    `llama.cpp could not load the model: ${reason ?? (cause as Error)?.message ?? "no reason given"}`,
    {
      cause,
      location: { file: path },
      hint: fileProblem
        ? "the file is not a model this llama.cpp (node-llama-cpp 3.21.1) can run: check its architecture and conversion"
        : "is it a complete GGUF model (not vocab-only) of an architecture llama.cpp supports, and is there memory for it?",
    },
  );
}

export async function openLlamaCppBackend(opts: LlamaCppOptions): Promise<LlamaCppBackend> {
  if (!existsSync(opts.modelPath)) {
    throw new ModelmapError("not_found", `GGUF file not found: ${opts.modelPath}`, {
      location: { file: opts.modelPath },
    });
  }
  const gpu = opts.gpu ?? false;
  const env = opts.env ?? {};
  const setting = cpuVariantSetting(opts.cpuVariant, env, opts.id);
  const llama = await getSharedLlama(gpu, { setting, modelPath: opts.modelPath, env });
  const variant = gpu === false ? await engineCpuVariant() : undefined;
  let model: LlamaModel;
  const mark = engineErrorMark();
  try {
    model = await llama.loadModel({ modelPath: opts.modelPath, ...(gpu === false ? { gpuLayers: 0 } : {}) });
  } catch (e) {
    throw loadError(opts.modelPath, e, await engineErrorsAfter(mark, /error loading model|failed to load/));
  }
  const contextSize = opts.contextSize ?? Math.min(model.trainContextSize, 4096);
  const threads = opts.threads ?? (llama.maxThreads === 0 ? llama.cpuMathCores : llama.maxThreads);
  let native: NativeScorer | undefined;
  let nativeStatus: NativeStatus = { ok: false, reason: "turned off by the nativeScorer option" };
  if (opts.nativeScorer !== false) {
    const loaded = await loadNativeScorer(opts.env ?? {});
    nativeStatus = loaded.status;
    if (loaded.addon) {
      try {
        const block = gpu === false ? CPU_BLOCK : GPU_BLOCK;
        native = NativeScorer.open(loaded.addon, model, { contextSize, threads, block });
      } catch (e) {
        nativeStatus = { ok: false, reason: (e as Error).message };
      }
    }
  }
  const sha = await fileSha256(opts.modelPath);
  const backend = new LlamaCppBackend(opts, model, contextSize, threads, sha, native, nativeStatus, variant);
  try {
    // Without the native scorer, scoring needs node-llama-cpp's context; create it now so errors show at open.
    if (!native) await backend.sequence();
  } catch (e) {
    await backend.close();
    throw e;
  }
  return backend;
}

/** node-llama-cpp's context and sequence (generation, prompt log-probabilities, scoring fallback). */
interface EngineSequence {
  context: LlamaContext;
  seq: LlamaContextSequence;
  scorer: SequenceScorer;
}

export class LlamaCppBackend implements Backend {
  readonly specVersion = BACKEND_SPEC_VERSION;
  readonly identity: ModelIdentity;
  readonly capabilities: BackendCapabilities;
  readonly contextSize: number;
  /** The GGUF's chat template (tokenizer.chat_template), if any. */
  readonly ggufChatTemplate: string | undefined;
  readonly bosToken: string;
  readonly eosToken: string;
  /** Whether log-likelihoods go through the native scorer, and if not, why. */
  readonly nativeScorerStatus: NativeStatus;
  /** The ggml CPU variant the engine runs on, and why (undefined on a GPU engine). */
  readonly cpuVariantStatus: CpuVariantStatus | undefined;
  private engine: Promise<EngineSequence> | undefined;
  private engineNow: EngineSequence | undefined;
  private readonly prefix: number[];
  private readonly emptyContextToken: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly opts: LlamaCppOptions,
    private readonly model: LlamaModel,
    contextSize: number,
    private readonly threads: number,
    sha256: string,
    private readonly native: NativeScorer | undefined,
    nativeStatus: NativeStatus,
    cpuVariant: CpuVariantStatus | undefined,
  ) {
    this.identity = {
      id: opts.id ?? basename(opts.modelPath),
      backend: "llama-cpp",
      name: basename(opts.modelPath),
      fileSha256: sha256,
    };
    this.contextSize = contextSize;
    this.nativeScorerStatus = nativeStatus;
    this.cpuVariantStatus = cpuVariant;
    const bos = model.tokens.bos;
    const eos = model.tokens.eos;
    const addBos = opts.addBos ?? model.tokens.shouldPrependBosToken;
    this.prefix = addBos && bos !== null ? [bos] : [];
    // lm-evaluation-harness conditions an empty context on BOS, or on EOT when the model has no BOS.
    const stand = bos ?? eos;
    if (stand === null) throw new ModelmapError("backend", `${opts.modelPath}: the vocabulary has neither BOS nor EOS`);
    this.emptyContextToken = stand;
    this.bosToken = bos === null ? "" : model.detokenize([bos], true);
    this.eosToken = eos === null ? "" : model.detokenize([eos], true);
    const tmpl = model.fileInfo.metadata.tokenizer?.chat_template;
    this.ggufChatTemplate = typeof tmpl === "string" ? tmpl : undefined;
    this.capabilities = {
      chat: opts.renderChat !== undefined,
      completion: true,
      loglikelihood: true,
      loglikelihoodRolling: true,
      tokenize: true,
      tokenStats: true,
      concurrency: 1,
    };
  }

  /** node-llama-cpp's context and sequence, created on first use. */
  sequence(): Promise<EngineSequence> {
    this.engine ??= (async () => {
      let context: LlamaContext;
      try {
        // node-llama-cpp lets a sequence hold contextSize - 1 tokens (one more triggers a context shift that
        // erases the beginning), so ask for one more cell than the user's window.
        context = await this.model.createContext({
          contextSize: this.contextSize + 1,
          sequences: 1,
          threads: this.threads,
          ...(this.opts.batchSize !== undefined ? { batchSize: this.opts.batchSize } : {}),
        });
      } catch (e) {
        throw new ModelmapError(
          "backend",
          `cannot create a ${this.contextSize}-token context for ${this.opts.modelPath}`,
          {
            cause: e,
          },
        );
      }
      const seq = context.getSequence();
      this.engineNow = {
        context,
        seq,
        scorer: new SequenceScorer(seq, Math.min(this.contextSize, context.contextSize - 1)),
      };
      return this.engineNow;
    })();
    this.engine.catch(() => {
      this.engine = undefined;
    });
    return this.engine;
  }

  /** Tokens run through the model since opening (or the last reset): the cost measure of the benchmarks. */
  get tokensEvaluated(): number {
    return (this.native?.tokensEvaluated ?? 0) + (this.engineNow?.scorer.tokensEvaluated ?? 0);
  }

  resetTokenCount(): void {
    if (this.native) this.native.tokensEvaluated = 0;
    if (this.engineNow) this.engineNow.scorer.tokensEvaluated = 0;
  }

  /** Text tokens with special tokens parsed (as Hugging Face tokenizers and llama-server do), without BOS. */
  async tokenize(text: string): Promise<number[]> {
    this.ensureOpen();
    return this.textTokens(text);
  }

  async detokenize(tokens: readonly number[]): Promise<string> {
    this.ensureOpen();
    return this.model.detokenize(tokens as Token[], true);
  }

  /** Every prompt token's logprob, top alternatives and text piece (serve-model's echo + logprobs). */
  async promptLogprobs(text: string, o: { topK: number; signal?: AbortSignal }): Promise<PromptTokenScore[]> {
    return this.exclusive(o.signal, async () => {
      const textTokens = this.textTokens(text);
      const tokens = this.withPrefix(textTokens);
      const textStart = tokens.length - textTokens.length;
      const { seq, scorer } = await this.sequence();
      return scorePromptTokens(this.model, seq, scorer, tokens, textStart, o.topK, o.signal);
    });
  }

  /** Renders messages with the renderer given at open time. */
  async renderChat(messages: ChatMessage[], o: { addGenerationPrompt?: boolean } = {}): Promise<string> {
    const render = this.opts.renderChat;
    if (!render) {
      throw new ModelmapError("unsupported", `model ${this.identity.id} has no chat renderer`, {
        hint: "pass renderChat when opening the llama-cpp backend, or send a plain prompt",
      });
    }
    return render(messages, {
      addGenerationPrompt: o.addGenerationPrompt ?? true,
      ggufTemplate: this.ggufChatTemplate,
      bosToken: this.bosToken,
      eosToken: this.eosToken,
    });
  }

  async generate(
    input: ChatMessage[] | string,
    params: GenerationParams,
    o: CallOptions = {},
  ): Promise<GenerateResult> {
    const promptText = typeof input === "string" ? input : await this.renderChat(input, { addGenerationPrompt: true });
    return this.exclusive(o.signal, async () => {
      const prompt = this.withPrefix(this.textTokens(promptText));
      const usage = (completionTokens: number) => ({ promptTokens: prompt.length, completionTokens });
      // Greedy decoding without streaming (what evaluation asks for) runs in the native scorer: llama.cpp's own
      // pace, no JavaScript per token. Sampling, repetition penalties and streaming use node-llama-cpp.
      if (this.native && (params.temperature ?? 0) <= 0 && (params.repeatPenalty ?? 1) === 1 && !o.onText) {
        const room = this.contextSize - prompt.length;
        if (room <= 0) {
          throw new ModelmapError(
            "input",
            `prompt has ${prompt.length} tokens; the context holds ${this.contextSize}`,
            {
              hint: "shorten the prompt or open the model with a larger contextSize",
            },
          );
        }
        const stops = params.stop ?? [];
        const r = await this.native.generate(prompt, {
          maxTokens: Math.min(params.maxTokens ?? DEFAULT_MAX_TOKENS, room),
          stops,
          signal: o.signal,
        });
        const last = r.tokens.at(-1);
        const eog = last !== undefined && this.model.isEogToken(last as Token);
        let text = this.model.detokenize((eog ? r.tokens.slice(0, -1) : r.tokens) as Token[], true);
        const at = findStop(text, stops);
        if (at >= 0) text = text.slice(0, at);
        return {
          text,
          finishReason: r.reason === "abort" ? "abort" : eog || at >= 0 ? "stop" : r.reason,
          usage: usage(r.tokens.length),
          promptAsSent: promptText,
        };
      }
      const { seq, scorer } = await this.sequence();
      const out = await generateTokens(
        this.model,
        seq,
        scorer,
        prompt,
        params,
        this.opts.seed ?? 0,
        o.signal,
        o.onText,
      );
      return {
        text: out.text,
        finishReason: out.finishReason,
        usage: usage(out.completionTokens),
        promptAsSent: promptText,
      };
    });
  }

  /**
   * Log-likelihoods of continuations given contexts. Requests with the same context are scored together, as one
   * item (see native-scorer.ts); `o.tokenStats` asks for the Min-K%++ statistics of each position as well.
   */
  async loglikelihood(requests: LoglikelihoodRequest[], o: CallOptions = {}): Promise<LoglikelihoodResult[]> {
    return this.exclusive(o.signal, async () => {
      // An item's requests share their context: tokenize each distinct text once per call (llama.cpp's
      // tokenizer was a third of the JavaScript time of HellaSwag scoring on the zoo fixture).
      const memo = new Map<string, number[]>();
      const tokenize = (t: string) => {
        let v = memo.get(t);
        if (v === undefined) {
          v = this.textTokens(t);
          memo.set(t, v);
        }
        return v;
      };
      const prepared = requests.map((r, i) => {
        const pair = encodePair(tokenize, r.context, r.continuation, this.prefix, this.emptyContextToken);
        let tokens = [...pair.context, ...pair.continuation];
        const n = pair.continuation.length;
        if (n > this.contextSize) {
          throw new ModelmapError(
            "input",
            `request ${i}: continuation has ${n} tokens; the context holds ${this.contextSize}`,
          );
        }
        // Left-truncate as lm-evaluation-harness does: the model sees at most contextSize inputs.
        if (tokens.length - 1 > this.contextSize) tokens = tokens.slice(tokens.length - 1 - this.contextSize);
        return { index: i, n, req: { tokens, firstScored: tokens.length - n } satisfies ScoreRequest };
      });
      prepared.sort((a, b) => compareTokens(a.req.tokens, b.req.tokens) || a.index - b.index);
      const results: LoglikelihoodResult[] = new Array(requests.length);
      const stats = o.tokenStats === true;
      const put = (p: (typeof prepared)[number], scores: PositionScore[]) => {
        results[p.index] = {
          ...summarize(scores, stats),
          isGreedy: scores.every((s) => s.greedy),
          tokens: p.req.tokens.slice(p.req.firstScored),
        };
      };
      const native = this.native;
      if (!native) {
        const { scorer } = await this.sequence();
        for (const p of prepared) {
          if (o.signal?.aborted) throw new ModelmapError("aborted", "log-likelihood aborted");
          put(p, p.n === 0 ? [] : await scorer.score(p.req, o.signal));
        }
        return results;
      }
      // Sorted by tokens, the requests of one context are adjacent.
      for (let i = 0; i < prepared.length; ) {
        if (o.signal?.aborted) throw new ModelmapError("aborted", "log-likelihood aborted");
        const first = prepared[i] as (typeof prepared)[number];
        const context = first.req.tokens.slice(0, first.req.firstScored);
        let j = i + 1;
        while (j < prepared.length && sameContext(prepared[j]?.req as ScoreRequest, context)) j++;
        const group = prepared.slice(i, j);
        const scores = await native.scoreGroup(
          context,
          group.map((p) => p.req.tokens.slice(p.req.firstScored)),
          stats,
          o.signal,
        );
        group.forEach((p, k) => {
          put(p, scores[k] as PositionScore[]);
        });
        i = j;
      }
      return results;
    });
  }

  async loglikelihoodRolling(texts: string[], o: CallOptions = {}): Promise<RollingResult[]> {
    return this.exclusive(o.signal, async () => {
      const out: RollingResult[] = [];
      const prefixToken = this.prefix[0] ?? this.emptyContextToken;
      const stats = o.tokenStats === true;
      const scorer = this.native ? undefined : (await this.sequence()).scorer;
      for (const text of texts) {
        const tokens = this.textTokens(text);
        const windows = rollingWindows(tokens, prefixToken, this.contextSize, this.opts.rollingContextTokens ?? 1);
        const logprobs: number[] = [];
        const tokenStats: Array<{ mean: number; variance: number }> = [];
        for (const w of windows) {
          if (o.signal?.aborted) throw new ModelmapError("aborted", "rolling log-likelihood aborted");
          const all = [...w.input, w.targets[w.targets.length - 1] as number];
          const req = { tokens: all, firstScored: all.length - w.scored };
          if (!this.native) {
            for (const p of await (scorer as SequenceScorer).score(req, o.signal)) {
              logprobs.push(p.logprob);
              if (stats) tokenStats.push({ mean: p.mean, variance: p.variance });
            }
            continue;
          }
          // The addon's numbers as they come (4 a position): no object per scored token.
          const r = await this.native.scoreRows(req, stats, o.signal);
          for (let i = 0; i < r.length / 4; i++) {
            logprobs.push(rowLogprob(r, i));
            if (stats) tokenStats.push({ mean: r[4 * i + 2] as number, variance: r[4 * i + 3] as number });
          }
        }
        out.push({ ...summarizeLogprobs(logprobs, stats ? tokenStats : undefined), tokens });
      }
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    // The native scorer's context lives on node-llama-cpp's model: free it first.
    this.native?.close();
    const engine = await this.engine?.catch(() => undefined);
    await engine?.context.dispose();
    await this.model.dispose();
  }

  private textTokens(text: string): number[] {
    return this.model.tokenize(text, true) as number[];
  }

  /** Prepends BOS unless the text (e.g. a template that writes bos_token) already starts with it. */
  private withPrefix(tokens: number[]): number[] {
    if (this.prefix.length === 0 || tokens[0] === this.prefix[0]) return tokens;
    return [...this.prefix, ...tokens];
  }

  private ensureOpen(): void {
    if (this.closed) throw new ModelmapError("backend", `model ${this.identity.id} is closed`);
  }

  private exclusive<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    this.ensureOpen();
    const run = this.queue.then(async () => {
      if (signal?.aborted) throw new ModelmapError("aborted", "request aborted before it started");
      this.ensureOpen();
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function summarize(scores: readonly PositionScore[], stats: boolean) {
  return summarizeLogprobs(
    scores.map((s) => s.logprob),
    stats ? scores.map((s) => ({ mean: s.mean, variance: s.variance })) : undefined,
  );
}

/** The sum, count and list of a request's per-token log-probabilities, with their stats when asked for. */
function summarizeLogprobs(logprobs: number[], tokenStats: Array<{ mean: number; variance: number }> | undefined) {
  let logprob = 0;
  for (const x of logprobs) logprob += x;
  return { logprob, tokenCount: logprobs.length, tokenLogprobs: logprobs, ...(tokenStats ? { tokenStats } : {}) };
}

function sameContext(req: ScoreRequest, context: readonly number[]): boolean {
  if (req.firstScored !== context.length) return false;
  for (let i = 0; i < context.length; i++) if (req.tokens[i] !== context[i]) return false;
  return true;
}

function compareTokens(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
