/** The run id: a hash of everything that decides what a run computes, so that the same command resumes the run. */
import type { Backend } from "../backends/types.ts";
import { sha256 } from "../core/hash.ts";
import type { RunSpec } from "../store/run-log.ts";
import type { PromptOptions } from "../tasks/instance.ts";
import type { LoadedTask } from "../tasks/loader.ts";
import { modelKey } from "./plan.ts";

export const RESULTS_VERSION = 1;

/** The options of a run that its id depends on (a subset of EvalOptions). */
export interface RunConfigInput {
  modelId: string;
  tasks: ReadonlyArray<Pick<LoadedTask, "name" | "hash">>;
  groups: ReadonlyArray<{ name: string; tasks: string[] }>;
  limit?: number;
  prompt: PromptOptions;
}

/** Everything that decides what a run computes; its hash is the run id, so the same command resumes. */
export function runConfig(backend: Backend, opts: RunConfigInput): RunSpec {
  const p = opts.prompt;
  return {
    model: opts.modelId,
    model_identity: modelKey(backend.identity),
    tasks: opts.tasks.map((t) => t.name),
    task_hashes: Object.fromEntries(opts.tasks.map((t) => [t.name, t.hash])),
    groups: opts.groups.map((g) => ({ name: g.name, tasks: g.tasks })),
    limit: opts.limit ?? null,
    seed: p.seed,
    num_fewshot: p.numFewshot ?? null,
    chat_template: p.chatTemplate,
    system_prompt: p.systemPrompt ?? null,
    system_prompt_sha256: p.systemPrompt === undefined ? null : sha256(p.systemPrompt),
    fewshot_as_multiturn: p.fewshotAsMultiturn,
    // Which chat template and system prompt a configured model renders with (source, name, content hashes).
    model_prompting: backend.provenance ? { ...backend.provenance } : null,
    results_version: RESULTS_VERSION,
  };
}
