/**
 * Turns one document into the requests a model must answer, exactly as lm-eval's ConfigurableTask does
 * (`fewshot_context`, `build_qa_turn`, `multiple_input_context`, `construct_requests` in `lm_eval/api/task.py`):
 * a system turn (system prompt + description, joined by `maybe_delimit`), then each few-shot example as a user turn
 * `q + target_delimiter` and an assistant turn `answer + fewshot_delimiter`, then the document's question (and a
 * `gen_prefix` assistant turn when the task has one). Without a chat template the turns are concatenated; with one,
 * they are rendered by the model's template (few-shot as separate turns, or collapsed into one user turn).
 * Few-shot examples come from one seeded sampler per task, consumed in document order (see fewshot.ts).
 */
import type { ChatMessage, GenerationParams } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import type { Doc } from "./dataset.ts";
import { DocFields } from "./doc-fields.ts";
import { FewshotSampler } from "./fewshot.ts";
import type { LoadedTask } from "./loader.ts";
import { isNumber, num, PyFloat, pyStr } from "./py-values.ts";
import type { TaskConfig } from "./schema.ts";

export interface PromptOptions {
  chatTemplate: boolean;
  systemPrompt?: string;
  fewshotAsMultiturn: boolean;
  /** Overrides the task's num_fewshot (except where the task fixes it at 0, as lm-eval does). */
  numFewshot?: number;
  /** The few-shot seed (lm-eval's default: 1234). */
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
  /** lm-eval's `doc_to_target(doc)`, in its own type (an index, a text, a list). */
  target: unknown;
  /** For generation: the generation arguments exactly as lm-eval passes them (key order kept). */
  genKwargs?: Record<string, unknown>;
  /** How many times each request is answered (lm-eval's `repeats`). */
  repeats: number;
  /** Word count of the text, for word_perplexity (lm-eval's `len(re.split(r"\s+", text))`). */
  words?: number;
}

export type RenderChat = (messages: ChatMessage[]) => Promise<string>;

interface Msg {
  role: "system" | "user" | "assistant";
  content: string;
  delimiter: string;
}

const isSpace = (ch: string | undefined) => ch !== undefined && /\s/u.test(ch);

/** `maybe_delimit`: joins with the delimiter unless either side already has white space at the seam. */
export function maybeDelimit(prefix: string | undefined, suffix: string | undefined, delimiter = " "): string {
  if (!prefix) return suffix ?? "";
  if (!suffix) return prefix;
  return isSpace(prefix.at(-1)) || isSpace(suffix[0]) ? prefix + suffix : prefix + delimiter + suffix;
}

function requiresDelimiter(prefix: string, suffix: string): boolean {
  if (prefix === "") return false;
  return !(isSpace(prefix.at(-1)) || isSpace(suffix[0]));
}

/** The n-shot lm-eval uses: `--num_fewshot` overrides the task's value, except a task that fixes 0. */
export function effectiveNumFewshot(cfg: TaskConfig, override: number | undefined): number {
  if (override !== undefined && cfg.num_fewshot !== 0) return override;
  return cfg.num_fewshot ?? 0;
}

/** lm-eval's generation arguments for a task (`TaskConfig.__post_init__`): temperature as float, `until` defaulted. */
export function generationKwargs(cfg: TaskConfig): Record<string, unknown> {
  const delim = cfg.fewshot_delimiter ?? "\n\n";
  const g = cfg.generation_kwargs;
  if (g === undefined || g === null)
    return { temperature: new PyFloat(0), do_sample: false, max_gen_toks: 256, until: [delim] };
  const out: Record<string, unknown> = { ...g };
  if ("temperature" in out && isNumber(out.temperature)) out.temperature = new PyFloat(num(out.temperature));
  if (!("until" in out)) out.until = [delim];
  return out;
}

export class TaskPrompter {
  readonly cfg: TaskConfig;
  readonly numFewshot: number;
  readonly targetDelimiter: string;
  readonly fewshotDelimiter: string;
  private readonly fields: DocFields;
  private readonly sampler: FewshotSampler;
  private multipleInput: boolean | undefined;

  constructor(
    readonly task: LoadedTask,
    private readonly opts: PromptOptions,
    fewshotPool: Doc[],
    /** Column names of the evaluated split (lm-eval's `features`: a template equal to one is that field). */
    features: ReadonlySet<string>,
    /** lm-eval's `fewshot_cfg.split`: the evaluated document is left out of its examples when it equals test_split. */
    private readonly fewshotSplit: string | null,
    private readonly renderChat?: RenderChat,
  ) {
    const cfg = task.config;
    this.cfg = cfg;
    this.numFewshot = effectiveNumFewshot(cfg, opts.numFewshot);
    this.targetDelimiter = cfg.target_delimiter ?? " ";
    this.fewshotDelimiter = cfg.fewshot_delimiter ?? "\n\n";
    this.fields = new DocFields(task, features);
    const fc = cfg.fewshot_config ?? {};
    const kind = fc.sampler === "first_n" ? "first_n" : "default";
    this.sampler = new FewshotSampler(
      fewshotPool,
      kind,
      fc.seed ?? opts.seed,
      fc.fewshot_indices,
      task.name,
      task.file,
    );
    if (this.numFewshot > 0 && fewshotPool.length === 0)
      throw new ModelmapError(
        "input",
        `task '${task.name}' asks for ${this.numFewshot}-shot but has no few-shot documents`,
        {
          location: { file: task.file, field: "fewshot_split" },
          hint: "set fewshot_split (or training_split/validation_split, or fewshot_config.samples) or use --num-fewshot 0",
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

  private text(v: unknown, what: string, docId: number): string {
    if (typeof v === "string") return v;
    throw new ModelmapError(
      "input",
      `task '${this.task.name}' ${what} gave ${JSON.stringify(v)} for document ${docId}, expected text`,
    );
  }

  /** `build_qa_turn`. */
  private qaTurn(
    q: unknown,
    c: unknown[] | null,
    a: unknown,
    genPrefix: string | undefined,
    tgtDelim: string,
    fewDelim: string,
    docId: number,
  ): Msg[] {
    const question = this.text(q, "doc_to_text", docId);
    const hasAnswer = a !== undefined && a !== null && a !== "";
    const userDelim =
      hasAnswer && !genPrefix ? tgtDelim : genPrefix && requiresDelimiter(question, genPrefix) ? tgtDelim : "";
    const msgs: Msg[] = [{ role: "user", content: question, delimiter: userDelim }];
    if (hasAnswer) {
      let answer: unknown;
      if (c && c.length > 0 && typeof a === "number" && Number.isInteger(a)) answer = c[a < 0 ? c.length + a : a];
      else if (Array.isArray(a)) answer = a[0];
      else answer = a;
      const s = this.text(answer, "few-shot answer", docId);
      msgs.push({ role: "assistant", content: maybeDelimit(genPrefix, s, " "), delimiter: fewDelim });
    } else if (genPrefix) msgs.push({ role: "assistant", content: genPrefix, delimiter: "" });
    return msgs;
  }

  private prefixOf(doc: Doc, field: string | null | undefined, useFeatures: boolean): string | undefined {
    if (!field) return undefined;
    const v = useFeatures ? this.fields.prefix(doc, field) : this.fields.resolveField(doc, field, "gen_prefix");
    return v === undefined || v === null ? undefined : pyStr(v);
  }

  /** The system turn and the few-shot turns for one document. */
  private prefixMessages(doc: Doc, docId: number): Msg[] {
    const cfg = this.cfg;
    const messages: Msg[] = [];
    const d = this.fields.resolveField(doc, cfg.description, "description");
    const description = d === undefined || d === null || d === "" ? "" : pyStr(d);
    const system = maybeDelimit(this.opts.systemPrompt, description, this.fewshotDelimiter);
    if (system) messages.push({ role: "system", content: system, delimiter: "" });
    if (this.numFewshot === 0) return messages;
    const fc = cfg.fewshot_config ?? {};
    const evalDoc = this.fewshotSplit === (cfg.test_split ?? null) ? doc : undefined;
    const choiceSpec = fc.doc_to_choice ?? cfg.doc_to_choice;
    const tgtDelim = fc.target_delimiter ?? this.targetDelimiter;
    const fewDelim = fc.fewshot_delimiter ?? this.fewshotDelimiter;
    for (const fs of this.sampler.sample(this.numFewshot, evalDoc)) {
      let q = this.fields.text(fs, fc.doc_to_text ?? cfg.doc_to_text);
      let c: unknown[] | null =
        choiceSpec !== undefined && choiceSpec !== null ? this.fields.choices(fs, choiceSpec) : null;
      const a = this.fields.target(fs, fc.doc_to_target ?? cfg.doc_to_target);
      const genPrefix = this.prefixOf(fs, fc.gen_prefix ?? cfg.gen_prefix, false);
      if (this.multipleInput && c) {
        q = c[num(q)];
        c = null;
      }
      messages.push(...this.qaTurn(q, c, a, genPrefix, tgtDelim, fewDelim, docId));
    }
    return messages;
  }

  private async render(messages: Msg[], genPrefix: string | undefined): Promise<string> {
    if (!this.opts.chatTemplate || !this.renderChat) return messages.map((m) => m.content + m.delimiter).join("");
    const turns = this.opts.fewshotAsMultiturn ? messages : singleTurn(messages);
    const chat: ChatMessage[] = turns.map((m) => ({ role: m.role, content: m.content }));
    // lm-eval renders a trailing gen_prefix turn with `continue_final_message`: the generation prompt, then the
    // prefix, with no end-of-turn after it.
    const last = chat.at(-1);
    if (genPrefix && last?.role === "assistant") {
      chat.pop();
      return (await this.renderChat(chat)) + last.content;
    }
    return this.renderChat(chat);
  }

  /** Decided on the first document, as lm-eval decides it on the evaluated split's first document. */
  private isMultipleInput(doc: Doc): boolean {
    if (this.multipleInput === undefined) {
      const hasChoices = this.cfg.doc_to_choice !== undefined && this.cfg.doc_to_choice !== null;
      this.multipleInput = hasChoices && typeof this.fields.text(doc) === "number";
    }
    return this.multipleInput;
  }

  private goldIndices(target: unknown, choices: string[], docId: number): number[] {
    const toIndex = (x: unknown): number => {
      if (typeof x === "number" && Number.isInteger(x) && x >= 0 && x < choices.length) return x;
      if (typeof x === "string") {
        const at = choices.indexOf(x);
        if (at >= 0) return at;
      }
      throw new ModelmapError(
        "input",
        `task '${this.task.name}' doc_to_target gave ${JSON.stringify(x)} for document ${docId}: not a choice index (0..${choices.length - 1}) nor one of the choices`,
      );
    };
    return Array.isArray(target) ? target.map(toIndex) : [toIndex(target)];
  }

  async instance(doc: Doc, docId: number): Promise<DocInstance> {
    const cfg = this.cfg;
    const outputType = cfg.output_type ?? "generate_until";
    const repeats = cfg.repeats ?? 1;
    if (outputType === "loglikelihood_rolling") {
      // The whole target, without context (lm-eval builds a context it never sends).
      const text = this.text(this.fields.target(doc), "doc_to_target", docId);
      return {
        docId,
        gold: "",
        multiInput: false,
        requests: [{ kind: "rolling", text }],
        target: text,
        repeats,
        words: text.split(/\s+/u).length,
      };
    }
    const multipleInput = this.isMultipleInput(doc);
    const messages = this.prefixMessages(doc, docId);
    const genPrefix = this.prefixOf(doc, cfg.gen_prefix, true);
    const hasChoices = cfg.doc_to_choice !== undefined && cfg.doc_to_choice !== null;
    const q = this.fields.text(doc);
    const rawChoices = hasChoices ? this.fields.choices(doc) : null;
    const target = this.fields.target(doc);
    const chat = this.opts.chatTemplate && this.renderChat !== undefined;

    if (multipleInput) {
      const contexts = (rawChoices ?? []).map((x) => this.text(x, "doc_to_choice", docId));
      const delim = chat
        ? cfg.gen_prefix && !isSpace(cfg.gen_prefix.at(-1))
          ? this.targetDelimiter
          : ""
        : this.targetDelimiter;
      const requests: PlannedRequest[] = [];
      for (const ctx of contexts) {
        const turn = this.qaTurn(ctx, null, undefined, genPrefix, "", "", docId);
        const context = await this.render([...messages, ...turn], genPrefix);
        requests.push({ kind: "loglikelihood", context, continuation: `${delim}${pyStr(target)}` });
      }
      return { docId, gold: [num(q)], choices: contexts, multiInput: true, requests, target, repeats };
    }

    const turn = this.qaTurn(q, rawChoices, undefined, genPrefix, this.targetDelimiter, "", docId);
    const context = await this.render([...messages, ...turn], genPrefix);

    if (outputType === "multiple_choice") {
      const choices = (rawChoices ?? []).map((c) => pyStr(c));
      const delim = chat
        ? cfg.gen_prefix && !isSpace(cfg.gen_prefix.at(-1))
          ? this.targetDelimiter
          : ""
        : this.targetDelimiter;
      const requests: PlannedRequest[] = choices.map((c) => ({
        kind: "loglikelihood",
        context,
        continuation: `${delim}${c}`,
      }));
      const metrics = (cfg.metric_list ?? []).map((m) => m.metric);
      if (metrics.includes("acc_mutual_info"))
        for (const c of choices) requests.push({ kind: "loglikelihood", context: "", continuation: `${delim}${c}` });
      return {
        docId,
        gold: this.goldIndices(target, choices, docId),
        choices,
        multiInput: false,
        requests,
        target,
        repeats,
      };
    }
    if (outputType === "generate_until") {
      const genKwargs = generationKwargs(cfg);
      const until = genKwargs.until;
      const stop = typeof until === "string" ? [until] : Array.isArray(until) ? until.map((x) => pyStr(x)) : [];
      const params: GenerationParams = {
        maxTokens: typeof genKwargs.max_gen_toks === "number" ? genKwargs.max_gen_toks : 256,
        stop,
      };
      const doSample = genKwargs.do_sample === true;
      params.temperature = doSample && isNumber(genKwargs.temperature) ? num(genKwargs.temperature) : doSample ? 1 : 0;
      // Sampled generations are reproducible: the run's seed is part of the request (and of its cache key).
      if (doSample) params.seed = this.opts.seed;
      if (isNumber(genKwargs.top_p)) params.topP = num(genKwargs.top_p);
      if (isNumber(genKwargs.top_k)) params.topK = num(genKwargs.top_k);
      const gold = typeof target === "string" ? target : Array.isArray(target) ? pyStr(target[0]) : pyStr(target);
      return {
        docId,
        gold,
        multiInput: false,
        requests: [{ kind: "generate", prompt: context, params }],
        target,
        genKwargs,
        repeats,
      };
    }
    if (outputType === "loglikelihood") {
      const continuation = this.text(target, "doc_to_target", docId);
      return {
        docId,
        gold: continuation,
        multiInput: false,
        requests: [{ kind: "loglikelihood", context, continuation }],
        target,
        repeats,
      };
    }
    throw new ModelmapError("input", `task '${this.task.name}': unknown output_type '${outputType}'`);
  }
}

/** `multiturn_to_singleturn`: everything but the system turn (and a final assistant turn) as one user turn. */
function singleTurn(messages: Msg[]): Msg[] {
  const [first, ...rest] = messages;
  const system = first?.role === "system" ? first : undefined;
  const body = system ? rest : messages;
  const last = body.at(-1);
  const join = (ms: Msg[]) => ms.map((m, i) => m.content + (i === ms.length - 1 ? "" : m.delimiter)).join("");
  const out: Msg[] =
    last?.role === "assistant"
      ? [
          { role: "user", content: join(body.slice(0, -1)), delimiter: "" },
          { role: "assistant", content: last.content, delimiter: "" },
        ]
      : [{ role: "user", content: join(body), delimiter: "" }];
  return system ? [system, ...out] : out;
}
