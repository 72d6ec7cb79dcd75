/**
 * A deterministic in-process Backend for harness tests where the real engine is not the subject (planning,
 * cache, resume, scoring, memory): log-likelihoods are a pure function of the request text, generations a pure
 * function of the prompt. It counts calls and can fail chosen requests, so error paths are testable.
 */
import { createHash } from "node:crypto";
import {
  BACKEND_SPEC_VERSION,
  type Backend,
  type BackendCapabilities,
  type ChatMessage,
  type GenerateResult,
  type GenerationParams,
  type LoglikelihoodRequest,
  type LoglikelihoodResult,
  type RollingResult,
} from "../../src/backends/types.ts";

function unit(s: string): number {
  return createHash("sha256").update(s).digest().readUInt32BE(0) / 2 ** 32;
}

export interface ScriptedOptions {
  name?: string;
  /** Requests whose continuation/prompt contains this text fail. */
  failOn?: string;
  concurrency?: number;
  /** Generation: a function of the prompt (default: "#### " + a digit derived from the prompt). */
  answer?: (prompt: string) => string;
  /** When set, the "model" prefers the continuation that contains this marker. */
  prefer?: string;
  chat?: boolean;
}

export class ScriptedBackend implements Backend {
  readonly specVersion = BACKEND_SPEC_VERSION;
  readonly identity;
  readonly capabilities: BackendCapabilities;
  llCalls = 0;
  llRequests = 0;
  genCalls = 0;

  constructor(private readonly o: ScriptedOptions = {}) {
    this.identity = { id: o.name ?? "scripted", backend: "scripted", name: o.name ?? "scripted" };
    this.capabilities = {
      chat: o.chat ?? true,
      completion: true,
      loglikelihood: true,
      loglikelihoodRolling: true,
      tokenize: false,
      tokenStats: false,
      concurrency: o.concurrency ?? 2,
    };
  }

  async generate(input: ChatMessage[] | string, _p: GenerationParams): Promise<GenerateResult> {
    this.genCalls++;
    const prompt = typeof input === "string" ? input : input.map((m) => m.content).join("\n");
    if (this.o.failOn && prompt.includes(this.o.failOn)) throw new Error(`scripted failure on '${this.o.failOn}'`);
    const text = this.o.answer ? this.o.answer(prompt) : `The answer is #### ${Math.floor(unit(prompt) * 10)}`;
    return { text, finishReason: "stop", usage: { promptTokens: prompt.length, completionTokens: text.length } };
  }

  async loglikelihood(reqs: LoglikelihoodRequest[]): Promise<LoglikelihoodResult[]> {
    this.llCalls++;
    this.llRequests += reqs.length;
    await new Promise((r) => setImmediate(r));
    return reqs.map((r) => {
      if (this.o.failOn && (r.continuation.includes(this.o.failOn) || r.context.includes(this.o.failOn)))
        throw new Error(`scripted failure on '${this.o.failOn}'`);
      let lp = -1 - 5 * unit(`${r.context}\u0000${r.continuation}`) - 0.05 * r.continuation.length;
      if (this.o.prefer && r.continuation.includes(this.o.prefer)) lp += 100;
      return { logprob: lp, isGreedy: false, tokenCount: Math.max(1, Math.ceil(r.continuation.length / 4)) };
    });
  }

  async loglikelihoodRolling(texts: string[]): Promise<RollingResult[]> {
    return texts.map((t) => ({
      logprob: -2 * t.length * (0.5 + unit(t)),
      tokenCount: Math.max(1, Math.ceil(t.length / 4)),
    }));
  }

  async renderChat(messages: ChatMessage[], o: { addGenerationPrompt?: boolean } = {}): Promise<string> {
    const body = messages.map((m) => `<|${m.role}|>\n${m.content}\n`).join("");
    return o.addGenerationPrompt === false ? body : `${body}<|assistant|>\n`;
  }

  async close(): Promise<void> {}
}
