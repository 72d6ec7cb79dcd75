/**
 * The backend contract: one small, versioned interface that every model engine implements. Everything the
 * harness, judges and contamination checks need from a model goes through it. Every call takes an
 * AbortSignal; capability flags say what a backend can do so callers fail early with a clear message.
 */
import { ModelmapError } from "../core/errors.ts";

export const BACKEND_SPEC_VERSION = 1;

export type Role = "system" | "user" | "assistant";

export interface ChatMessage {
  role: Role;
  content: string;
}

export interface GenerationParams {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repeatPenalty?: number;
  seed?: number;
  /** Stop sequences; the returned text does not include them. */
  stop?: string[];
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export type FinishReason = "stop" | "length" | "abort" | "error";

export interface GenerateResult {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  /** The exact prompt the engine saw after the chat template, where the backend knows it. */
  promptAsSent?: string;
}

export interface LoglikelihoodRequest {
  context: string;
  continuation: string;
}

export interface LoglikelihoodResult {
  /** Sum of log-probabilities (natural log) of the continuation's tokens given the context. */
  logprob: number;
  /** Whether greedy decoding from the context would produce exactly the continuation's tokens. */
  isGreedy: boolean;
  /** Number of continuation tokens scored. */
  tokenCount: number;
  /** Per-token log-probabilities of the continuation, where available (Min-K% needs them). */
  tokenLogprobs?: number[];
  /** Per-token mean and variance of log p under the model's own next-token distribution (Min-K%++). */
  tokenStats?: Array<{ mean: number; variance: number }>;
  /** The continuation's token ids as scored, where the backend knows them. */
  tokens?: number[];
}

export interface RollingResult {
  /** Sum of log-probabilities of every token of the text (the first conditioned on BOS). */
  logprob: number;
  tokenCount: number;
  tokenLogprobs?: number[];
  tokenStats?: Array<{ mean: number; variance: number }>;
  /** The text's token ids as scored (without BOS), where the backend knows them. */
  tokens?: number[];
}

/** One prompt token scored in place: what an OpenAI-compatible server returns for `echo` + `logprobs`. */
export interface PromptTokenScore {
  id: number;
  /** Text pieces of all tokens concatenate to the prompt; a BOS the backend adds has "". */
  text: string;
  /** Null for the first token, which nothing predicts. */
  logprob: number | null;
  /** The most likely tokens at this position, most likely first (empty where logprob is null). */
  top: Array<{ id: number; text: string; logprob: number }>;
}

export interface BackendCapabilities {
  chat: boolean;
  completion: boolean;
  loglikelihood: boolean;
  loglikelihoodRolling: boolean;
  tokenize: boolean;
  /** Per-token distribution statistics (for Min-K%++). */
  tokenStats: boolean;
  /** How many requests the caller should keep in flight. */
  concurrency: number;
}

export interface ModelIdentity {
  /** The configured model id. */
  id: string;
  backend: "openai" | "llama-cpp" | string;
  /** What the server says it serves, or the GGUF file name. */
  name: string;
  /** sha256 of the GGUF file, or undefined for remote models. */
  fileSha256?: string;
  endpoint?: string;
}

/**
 * How a backend builds prompts, so that every run records it: the chat template and the system prompt, each by
 * content hash. Set by `models/` on the backends it wraps with a template; an engine opened bare has none (the
 * run then records null). Who the model is lives in `identity`.
 */
export interface BackendProvenance {
  /** "server": an OpenAI-compatible server applies its own template to /chat/completions messages. */
  templateSource: "gguf" | "tokenizer_config" | "named" | "none" | "server";
  templateName: string | undefined;
  /** sha256 of the template source; undefined when the server applies its own. */
  templateHash: string | undefined;
  systemPromptSource: string;
  systemPromptHash: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * generate only: receives the text as it is produced, in pieces that concatenate to the final text (stop
   * sequences never appear). Backends that cannot stream call it once with the whole text.
   */
  onText?: (delta: string) => void;
  /**
   * loglikelihood and loglikelihoodRolling only: also return `tokenStats` (Min-K%++). They cost a second pass over
   * the vocabulary at every position, so backends may leave them out unless asked.
   */
  tokenStats?: boolean;
}

export interface Backend {
  readonly specVersion: typeof BACKEND_SPEC_VERSION;
  readonly identity: ModelIdentity;
  readonly capabilities: BackendCapabilities;
  /** How prompts are built (template, system prompt), where a chat template is applied around the engine. */
  readonly provenance?: BackendProvenance;
  /** Chat (messages) or plain completion (prompt string). */
  generate(input: ChatMessage[] | string, params: GenerationParams, opts?: CallOptions): Promise<GenerateResult>;
  loglikelihood(requests: LoglikelihoodRequest[], opts?: CallOptions): Promise<LoglikelihoodResult[]>;
  loglikelihoodRolling(texts: string[], opts?: CallOptions): Promise<RollingResult[]>;
  tokenize?(text: string, opts?: CallOptions): Promise<number[]>;
  /** Token ids back to text (special tokens rendered), where `tokenize` is available. */
  detokenize?(tokens: readonly number[], opts?: CallOptions): Promise<string>;
  /** Every prompt token's logprob and top alternatives (serve-model's echo + logprobs), where available. */
  promptLogprobs?(text: string, opts: { topK: number; signal?: AbortSignal }): Promise<PromptTokenScore[]>;
  /** Renders messages with the model's chat template, when the backend owns the template. */
  renderChat?(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean }): Promise<string>;
  /** The model names a server serves (`models check`), where the backend talks to one. */
  listModels?(opts?: CallOptions): Promise<string[]>;
  close(): Promise<void>;
}

/** How one request of a batch ended. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: Error };

/**
 * Thrown by `loglikelihood` / `loglikelihoodRolling` when some requests of the batch failed and the others
 * finished, one entry per request in order. Each failure is final (the backend already retried it as often as
 * it was configured to): the caller keeps the results, records the failures, and sends nothing again, so that a
 * request costs exactly the backend's attempts. The code is the first failure's.
 */
export class BatchFailure<R> extends ModelmapError {
  readonly settled: ReadonlyArray<Settled<R>>;
  constructor(settled: ReadonlyArray<Settled<R>>) {
    const failed = settled.filter((s): s is { ok: false; error: Error } => !s.ok);
    const first = failed[0]?.error;
    super(
      first instanceof ModelmapError ? first.code : "backend",
      `${first?.message ?? "batch failed"}${settled.length > 1 ? ` (${failed.length} of ${settled.length} requests of the batch failed)` : ""}`,
      { cause: first, ...(first instanceof ModelmapError && first.hint ? { hint: first.hint } : {}) },
    );
    this.settled = settled;
  }
}
