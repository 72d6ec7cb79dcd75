/**
 * What modelmap can run of a valid lm-eval task config: metrics and filters the scorer implements, generation
 * options the backends understand, no multimodal inputs, no promptsource prompts. A task that asks for more is
 * refused when it is loaded, with the field that asks for it, rather than failing (or silently differing) mid-run.
 */
import { ModelmapError } from "../core/errors.ts";
import { AGGREGATION_NAMES } from "./aggregations.ts";
import { FILTER_NAMES } from "./filters.ts";
import { METRIC_NAMES } from "./metrics.ts";
import { pyCompile } from "./pycompat/regex.ts";
import { FunctionRef } from "./pyyaml.ts";
import { GENERATION_KEYS, type TaskConfig } from "./schema.ts";

const FILTERS: ReadonlySet<string> = new Set(FILTER_NAMES);
const METRICS: ReadonlySet<string> = new Set(METRIC_NAMES);
const AGGREGATIONS: ReadonlySet<string> = new Set(AGGREGATION_NAMES);
const GENERATION: ReadonlySet<string> = new Set(GENERATION_KEYS);

type Locate = (path: Array<string | number>) => { file: string; line?: number; field: string };

export function checkSupported(cfg: TaskConfig, locate: Locate): void {
  const refuse = (path: Array<string | number>, message: string, hint?: string): never => {
    throw new ModelmapError("unsupported", `task '${cfg.task}': ${message}`, {
      location: locate(path),
      ...(hint ? { hint } : {}),
    });
  };
  if (cfg.doc_to_image !== undefined && cfg.doc_to_image !== null)
    refuse(["doc_to_image"], "multimodal tasks (images) are not supported");
  if (cfg.doc_to_audio !== undefined && cfg.doc_to_audio !== null)
    refuse(["doc_to_audio"], "multimodal tasks (audio) are not supported");
  if (cfg.use_prompt !== undefined && cfg.use_prompt !== null)
    refuse(["use_prompt"], "promptsource prompts (use_prompt) are not supported; write doc_to_text instead");
  // With a process_results hook the metric names only label its output (lm-eval looks none of them up).
  const named = cfg.process_results === undefined || cfg.process_results === null;
  (cfg.metric_list ?? []).forEach((m, i) => {
    if (named && typeof m.metric === "string" && !METRICS.has(m.metric))
      refuse(
        ["metric_list", i, "metric"],
        `metric '${m.metric}' is not implemented`,
        `implemented: ${METRIC_NAMES.join(", ")}`,
      );
    if (typeof m.aggregation === "string" && !AGGREGATIONS.has(m.aggregation))
      refuse(
        ["metric_list", i, "aggregation"],
        `aggregation '${m.aggregation}' is not implemented`,
        `implemented: ${AGGREGATION_NAMES.join(", ")}`,
      );
    if (m.hf_evaluate) refuse(["metric_list", i, "hf_evaluate"], "Hugging Face evaluate metrics are not supported");
  });
  (cfg.filter_list ?? []).forEach((p, i) => {
    p.filter.forEach((step, j) => {
      if (typeof step.function === "string" && !FILTERS.has(step.function))
        refuse(
          ["filter_list", i, "filter", j, "function"],
          `filter '${step.function}' is not implemented`,
          `implemented: ${FILTER_NAMES.join(", ")}`,
        );
    });
  });
  // Regexes compile now, not after the first requests were sent: a bad one names its task, file and field.
  const regex = (path: Array<string | number>, pattern: unknown) => {
    if (typeof pattern !== "string") return;
    try {
      pyCompile(pattern);
    } catch (e) {
      throw new ModelmapError("input", `task '${cfg.task}': ${(e as Error).message}`, { location: locate(path) });
    }
  };
  (cfg.filter_list ?? []).forEach((p, i) => {
    p.filter.forEach((step, j) => {
      regex(["filter_list", i, "filter", j, "regex_pattern"], (step as Record<string, unknown>).regex_pattern);
    });
  });
  (cfg.metric_list ?? []).forEach((m, i) => {
    (m.regexes_to_ignore ?? []).forEach((r, j) => {
      regex(["metric_list", i, "regexes_to_ignore", j], r);
    });
  });
  const g = cfg.generation_kwargs;
  if (g)
    for (const k of Object.keys(g))
      if (!GENERATION.has(k))
        refuse(
          ["generation_kwargs", k],
          `generation option '${k}' is not supported`,
          `supported: ${GENERATION_KEYS.join(", ")}`,
        );
  if (cfg.fewshot_config?.sampler instanceof FunctionRef)
    refuse(["fewshot_config", "sampler"], "a custom sampler class is not supported");
}
