/**
 * The `llama-cpp` backend: GGUF models in-process through node-llama-cpp (imported lazily).
 *
 * One model, one context, one sequence; calls are serialized (the engine already uses every core for one
 * batch). Log-likelihood requests are tokenized the lm-evaluation-harness way (see tokens.ts), sorted so
 * that requests sharing a context are adjacent, and scored on a KV cache that keeps the shared prefix
 * (scorer.ts): a multiple-choice item's context is evaluated once for all its choices.
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
import { engineErrorMark, engineErrorsAfter, fileSha256, getSharedLlama } from "./engine.ts";
import { generateTokens } from "./generate.ts";
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
  const llama = await getSharedLlama(gpu);
  let model: LlamaModel;
  const mark = engineErrorMark();
  try {
    model = await llama.loadModel({ modelPath: opts.modelPath, ...(gpu === false ? { gpuLayers: 0 } : {}) });
  } catch (e) {
    throw loadError(opts.modelPath, e, await engineErrorsAfter(mark, /error loading model|failed to load/));
  }
  const contextSize = opts.contextSize ?? Math.min(model.trainContextSize, 4096);
  let context: LlamaContext;
  try {
    // node-llama-cpp lets a sequence hold contextSize - 1 tokens (one more triggers a context shift that
    // erases the beginning), so ask for one more cell than the user's window.
    context = await model.createContext({
      contextSize: contextSize + 1,
      sequences: 1,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
    });
  } catch (e) {
    await model.dispose();
    throw new ModelmapError("backend", `cannot create a ${contextSize}-token context for ${opts.modelPath}`, {
      cause: e,
    });
  }
  const sha = await fileSha256(opts.modelPath);
  return new LlamaCppBackend(opts, model, context, Math.min(contextSize, context.contextSize - 1), sha);
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
  private readonly seq: LlamaContextSequence;
  private readonly scorer: SequenceScorer;
  private readonly prefix: number[];
  private readonly emptyContextToken: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly opts: LlamaCppOptions,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    contextSize: number,
    sha256: string,
  ) {
    this.identity = {
      id: opts.id ?? basename(opts.modelPath),
      backend: "llama-cpp",
      name: basename(opts.modelPath),
      fileSha256: sha256,
    };
    this.contextSize = contextSize;
    this.seq = context.getSequence();
    this.scorer = new SequenceScorer(this.seq, this.contextSize);
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

  /** Tokens run through the model since opening (or the last reset): the cost measure of the benchmarks. */
  get tokensEvaluated(): number {
    return this.scorer.tokensEvaluated;
  }

  resetTokenCount(): void {
    this.scorer.tokensEvaluated = 0;
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
      return scorePromptTokens(this.model, this.seq, this.scorer, tokens, textStart, o.topK, o.signal);
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
      const out = await generateTokens(
        this.model,
        this.seq,
        this.scorer,
        prompt,
        params,
        this.opts.seed ?? 0,
        o.signal,
        o.onText,
      );
      return {
        text: out.text,
        finishReason: out.finishReason,
        usage: { promptTokens: prompt.length, completionTokens: out.completionTokens },
        promptAsSent: promptText,
      };
    });
  }

  async loglikelihood(requests: LoglikelihoodRequest[], o: CallOptions = {}): Promise<LoglikelihoodResult[]> {
    return this.exclusive(o.signal, async () => {
      const tokenize = (t: string) => this.textTokens(t);
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
      prepared.sort((a, b) => compareTokens(a.req.tokens, b.req.tokens));
      const results: LoglikelihoodResult[] = new Array(requests.length);
      for (const p of prepared) {
        if (o.signal?.aborted) throw new ModelmapError("aborted", "log-likelihood aborted");
        const scores = p.n === 0 ? [] : await this.scorer.score(p.req, o.signal);
        results[p.index] = {
          ...summarize(scores),
          isGreedy: scores.every((s) => s.greedy),
          tokens: p.req.tokens.slice(p.req.firstScored),
        };
      }
      return results;
    });
  }

  async loglikelihoodRolling(texts: string[], o: CallOptions = {}): Promise<RollingResult[]> {
    return this.exclusive(o.signal, async () => {
      const out: RollingResult[] = [];
      const prefixToken = this.prefix[0] ?? this.emptyContextToken;
      for (const text of texts) {
        const tokens = this.textTokens(text);
        const windows = rollingWindows(tokens, prefixToken, this.contextSize, this.opts.rollingContextTokens ?? 1);
        const scores: PositionScore[] = [];
        for (const w of windows) {
          if (o.signal?.aborted) throw new ModelmapError("aborted", "rolling log-likelihood aborted");
          const all = [...w.input, w.targets[w.targets.length - 1] as number];
          scores.push(...(await this.scorer.score({ tokens: all, firstScored: all.length - w.scored }, o.signal)));
        }
        out.push({ ...summarize(scores), tokens });
      }
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.context.dispose();
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

function summarize(scores: readonly PositionScore[]) {
  let logprob = 0;
  for (const s of scores) logprob += s.logprob;
  return {
    logprob,
    tokenCount: scores.length,
    tokenLogprobs: scores.map((s) => s.logprob),
    tokenStats: scores.map((s) => ({ mean: s.mean, variance: s.variance })),
  };
}

function compareTokens(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
