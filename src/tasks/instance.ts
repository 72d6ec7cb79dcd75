/**
 * Turns one document into the requests a model must answer and, later, into scores. Prompting is explicit:
 * chat template on or off, system prompt, few-shot as multi-turn or as one block; the same options always give
 * the same prompt, and few-shot examples are drawn per document from a seeded RNG so that `--limit`, ordering
 * and resume never change a prompt.
 */

import type { ChatMessage, GenerationParams } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { createRng } from "../core/rng.ts";
import type { Doc } from "./dataset.ts";
import { docList, docValue, renderText } from "./jinja.ts";
import type { TaskConfig } from "./schema.ts";

export interface PromptOptions {
  chatTemplate: boolean;
  systemPrompt?: string;
  fewshotAsMultiturn: boolean;
  /** Overrides the task's num_fewshot. */
  numFewshot?: number;
  seed: number;
}

export type PlannedRequest =
  | { kind: "loglikelihood"; context: string; continuation: string }
  | { kind: "generate"; prompt: string; params: GenerationParams }
  | { kind: "rolling"; text: string };

export interface DocInstance {
  docId: number;
  /** Correct choice indices (multiple choice), or the target text. */
  gold: number[] | string;
  /** Choice texts (multiple choice), for acc_norm lengths and the log. */
  choices?: string[];
  /** Multiple-input mode (Winogrande): choices are contexts. */
  multiInput: boolean;
  requests: PlannedRequest[];
  /** Word count of the text, for word_perplexity. */
  words?: number;
}

export type RenderChat = (messages: ChatMessage[]) => Promise<string>;

function where(task: string, field: string): string {
  return `task '${task}' ${field}`;
}

function asText(v: unknown, task: string, field: string, docId: number): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new ModelmapError(
    "input",
    `${where(task, field)} gave ${JSON.stringify(v)} for document ${docId}, expected text`,
  );
}

export class TaskPrompter {
  readonly cfg: TaskConfig;
  readonly numFewshot: number;
  readonly targetDelimiter: string;
  readonly fewshotDelimiter: string;

  constructor(
    cfg: TaskConfig,
    private readonly opts: PromptOptions,
    private readonly fewshotPool: Doc[],
    /** True when the few-shot pool is the evaluated split: a document never serves as its own example. */
    private readonly poolIsEvalSplit: boolean,
    private readonly renderChat?: RenderChat,
  ) {
    this.cfg = cfg;
    this.numFewshot = opts.numFewshot ?? cfg.num_fewshot ?? 0;
    this.targetDelimiter = cfg.target_delimiter ?? " ";
    this.fewshotDelimiter = cfg.fewshot_delimiter ?? "\n\n";
    if (this.numFewshot > 0 && fewshotPool.length === 0)
      throw new ModelmapError(
        "input",
        `task '${cfg.task}' asks for ${this.numFewshot}-shot but has no few-shot split`,
        {
          hint: "set fewshot_split (or training_split/validation_split) or use --num-fewshot 0",
        },
      );
    if (opts.chatTemplate && !renderChat)
      throw new ModelmapError(
        "unsupported",
        "the model was opened without a chat template, so chat prompts cannot be built",
        {
          hint: "a bare --gguf runs as a base model unless asked: add --chat-template (the GGUF's own template); a configured model: set its template in modelmap.yaml; or run without the chat template",
        },
      );
  }

  choices(doc: Doc, docId: number): string[] {
    const spec = this.cfg.doc_to_choice;
    if (spec === undefined)
      throw new ModelmapError("input", `task '${this.cfg.task}' is multiple_choice but has no doc_to_choice`);
    const v = Array.isArray(spec)
      ? spec.map((s) => renderText(s, doc, where(this.cfg.task, "doc_to_choice")))
      : docList(spec, doc, where(this.cfg.task, "doc_to_choice"));
    if (Array.isArray(v)) return v.map((x) => asText(x, this.cfg.task, "doc_to_choice", docId));
    if (v && typeof v === "object") return Object.keys(v);
    throw new ModelmapError(
      "input",
      `${where(this.cfg.task, "doc_to_choice")} gave ${JSON.stringify(v)} for document ${docId}, expected a list`,
    );
  }

  /** Text of the document, or the index of the correct context in multiple-input mode. */
  text(doc: Doc, docId: number): string | number {
    const spec = this.cfg.doc_to_text;
    if (spec === undefined) return "";
    const v = docValue(spec, doc, where(this.cfg.task, "doc_to_text"));
    if (typeof v === "number" && this.cfg.output_type === "multiple_choice") return v;
    return asText(v, this.cfg.task, "doc_to_text", docId);
  }

  /** Gold indices (multiple choice) or target text (generation). */
  gold(doc: Doc, docId: number, choices?: string[]): number[] | string {
    const spec = this.cfg.doc_to_target;
    if (spec === undefined) throw new ModelmapError("input", `task '${this.cfg.task}' has no doc_to_target`);
    const v = choices
      ? docList(spec, doc, where(this.cfg.task, "doc_to_target"))
      : docValue(spec, doc, where(this.cfg.task, "doc_to_target"));
    if (!choices) return asText(v, this.cfg.task, "doc_to_target", docId);
    const toIndex = (x: unknown): number => {
      if (typeof x === "number" && Number.isInteger(x) && x >= 0 && x < choices.length) return x;
      if (typeof x === "string") {
        const at = choices.indexOf(x);
        if (at >= 0) return at;
        if (/^\d+$/.test(x) && Number(x) < choices.length) return Number(x);
      }
      throw new ModelmapError(
        "input",
        `${where(this.cfg.task, "doc_to_target")} gave ${JSON.stringify(x)} for document ${docId}: not a choice index (0..${choices.length - 1}) nor one of the choices`,
      );
    };
    return Array.isArray(v) ? v.map(toIndex) : [toIndex(v)];
  }

  /** The few-shot examples of one document: seeded per document, so independent of order and limit. */
  private examples(docId: number): Doc[] {
    const k = this.numFewshot;
    if (k === 0) return [];
    const pool = this.fewshotPool;
    const sampler = this.cfg.fewshot_config?.sampler ?? "default";
    const candidates = pool.map((_, i) => i).filter((i) => !(this.poolIsEvalSplit && i === docId));
    if (sampler === "first_n") return candidates.slice(0, k).map((i) => pool[i] as Doc);
    const seed = this.cfg.fewshot_config?.seed ?? this.opts.seed;
    const rng = createRng(seed * 1000003 + docId);
    // Partial Fisher-Yates: the first k of a seeded shuffle.
    const idx = candidates.slice();
    const n = Math.min(k, idx.length);
    for (let i = 0; i < n; i++) {
      const j = i + rng.int(idx.length - i);
      [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
    }
    return idx.slice(0, n).map((i) => pool[i] as Doc);
  }

  /** One solved example as (question, answer) text. */
  private shot(doc: Doc, i: number): { q: string; a: string } {
    const out = this.cfg.output_type;
    if (out === "multiple_choice") {
      const choices = this.choices(doc, i);
      const t = this.text(doc, i);
      if (typeof t === "number")
        return {
          q: choices[t] ?? "",
          a: asText(docValue(this.cfg.doc_to_target ?? "", doc, "doc_to_target"), this.cfg.task, "doc_to_target", i),
        };
      const gold = this.gold(doc, i, choices) as number[];
      return { q: t, a: choices[gold[0] ?? 0] ?? "" };
    }
    const t = this.text(doc, i);
    return { q: String(t), a: this.gold(doc, i) as string };
  }

  private description(doc: Doc): string {
    const d = this.cfg.description;
    return d ? renderText(d, doc, where(this.cfg.task, "description")) : "";
  }

  /** The context as sent (chat template applied when on) for a question text. */
  async context(doc: Doc, docId: number, question: string): Promise<{ context: string; delimiter: string }> {
    const shots = this.examples(docId).map((ex, i) => this.shot(ex, i));
    const description = this.description(doc);
    if (!this.opts.chatTemplate || !this.renderChat) {
      const block = shots.map((s) => s.q + this.targetDelimiter + s.a + this.fewshotDelimiter).join("");
      return { context: description + block + question, delimiter: this.targetDelimiter };
    }
    const messages: ChatMessage[] = [];
    const system = [this.opts.systemPrompt, description.trim()].filter((s) => s).join("\n\n");
    if (system) messages.push({ role: "system", content: system });
    if (this.opts.fewshotAsMultiturn) {
      for (const s of shots) messages.push({ role: "user", content: s.q }, { role: "assistant", content: s.a });
      messages.push({ role: "user", content: question });
    } else {
      const block = shots.map((s) => s.q + this.targetDelimiter + s.a + this.fewshotDelimiter).join("");
      messages.push({ role: "user", content: block + question });
    }
    // The generation prompt ends with the assistant header; a leading space there would be noise.
    return { context: await this.renderChat(messages), delimiter: "" };
  }

  async instance(doc: Doc, docId: number): Promise<DocInstance> {
    const cfg = this.cfg;
    if (cfg.output_type === "multiple_choice") {
      const choices = this.choices(doc, docId);
      const t = this.text(doc, docId);
      if (typeof t === "number") {
        // Partial scoring: each choice is a context, the target is the shared continuation.
        const cont = asText(
          docValue(cfg.doc_to_target ?? "", doc, where(cfg.task, "doc_to_target")),
          cfg.task,
          "doc_to_target",
          docId,
        );
        const requests: PlannedRequest[] = [];
        for (const c of choices) {
          const { context, delimiter } = await this.context(doc, docId, c);
          requests.push({ kind: "loglikelihood", context, continuation: delimiter + cont });
        }
        return { docId, gold: [t], choices, multiInput: true, requests };
      }
      const gold = this.gold(doc, docId, choices) as number[];
      const { context, delimiter } = await this.context(doc, docId, t);
      return {
        docId,
        gold,
        choices,
        multiInput: false,
        requests: choices.map((c) => ({ kind: "loglikelihood", context, continuation: delimiter + c })),
      };
    }
    if (cfg.output_type === "generate_until") {
      const gold = this.gold(doc, docId) as string;
      const { context } = await this.context(doc, docId, String(this.text(doc, docId)));
      const g = cfg.generation_kwargs ?? {};
      const until = g.until === undefined ? [this.fewshotDelimiter] : Array.isArray(g.until) ? g.until : [g.until];
      const params: GenerationParams = { maxTokens: g.max_gen_toks ?? 256, stop: until };
      params.temperature = g.do_sample ? (g.temperature ?? 1) : 0;
      // Sampled generations are reproducible: the run's seed is part of the request (and of its cache key).
      if (g.do_sample) params.seed = this.opts.seed;
      if (g.top_p !== undefined) params.topP = g.top_p;
      if (g.top_k !== undefined) params.topK = g.top_k;
      return { docId, gold, multiInput: false, requests: [{ kind: "generate", prompt: context, params }] };
    }
    // loglikelihood_rolling: the text is doc_to_target when given (as the harness's wikitext), else doc_to_text.
    const spec = cfg.doc_to_target ?? cfg.doc_to_text ?? "";
    const text = asText(docValue(spec, doc, where(cfg.task, "doc_to_target")), cfg.task, "doc_to_target", docId);
    return {
      docId,
      gold: "",
      multiInput: false,
      requests: [{ kind: "rolling", text }],
      words: text.split(/\s+/).filter((w) => w).length,
    };
  }
}
