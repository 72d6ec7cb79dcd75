/**
 * The requests an evaluation would send, without a model, one line per request in the layout of lm-eval's
 * `Instance`s as the golden files record them (`task, doc_id, idx, request_type, context, continuation,
 * gen_kwargs, target, num_fewshot, fewshot_seed`), serialised as Python's `json.dumps(..., ensure_ascii=False)`
 * would, so that lines compare byte for byte.
 */
import type { DocInstance, PromptOptions } from "./instance.ts";
import type { LoadedTask } from "./loader.ts";
import { isNumber, num, PyFloat, pyJsonDumps } from "./py-values.ts";
import { type DataContext, openPrompter } from "./task-data.ts";

export interface RequestLine {
  task: string;
  doc_id: number;
  idx: number;
  request_type: string;
  context: string;
  continuation: string | null;
  gen_kwargs: Record<string, unknown> | null;
  target: unknown;
  num_fewshot: number;
  fewshot_seed: number;
}

/** Integral floats of the YAML (`top_p: 1.0`) print as Python floats. */
function withFloats(kwargs: Record<string, unknown>, floats: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs))
    out[k] = floats.has(`generation_kwargs.${k}`) && isNumber(v) ? new PyFloat(num(v)) : v;
  return out;
}

export function requestLines(task: LoadedTask, inst: DocInstance, numFewshot: number, seed: number): RequestLine[] {
  const outputType = task.config.output_type ?? "generate_until";
  return inst.requests.map((r, idx) => {
    const base = { task: task.name, doc_id: inst.docId, idx };
    const tail = { target: inst.target, num_fewshot: numFewshot, fewshot_seed: seed };
    if (r.kind === "generate")
      return {
        ...base,
        request_type: "generate_until",
        context: r.prompt,
        continuation: null,
        gen_kwargs: withFloats(inst.genKwargs ?? {}, task.floats),
        ...tail,
      };
    if (r.kind === "rolling")
      return {
        ...base,
        request_type: "loglikelihood_rolling",
        context: r.text,
        continuation: null,
        gen_kwargs: null,
        ...tail,
      };
    return {
      ...base,
      request_type: outputType === "loglikelihood" ? "loglikelihood" : "loglikelihood",
      context: r.context,
      continuation: r.continuation,
      gen_kwargs: null,
      ...tail,
    };
  });
}

/** One line as Python's `json.dumps(line, ensure_ascii=False)`. */
export function formatRequestLine(line: RequestLine): string {
  return pyJsonDumps(line, { ensureAscii: false });
}

/** Every request of a task's first `limit` documents, in order. */
export async function* taskRequests(
  task: LoadedTask,
  ctx: DataContext,
  prompt: PromptOptions,
  limit?: number,
): AsyncGenerator<RequestLine> {
  const { data, prompter } = await openPrompter(task, ctx, prompt);
  let docId = 0;
  for await (const doc of data.evalDocs()) {
    if (limit !== undefined && docId >= limit) break;
    const inst = await prompter.instance(doc, docId);
    yield* requestLines(task, inst, prompter.numFewshot, task.config.fewshot_config?.seed ?? prompt.seed);
    docId++;
  }
}
