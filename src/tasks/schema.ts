/**
 * The task format: data only, close to lm-evaluation-harness's task YAML so that users can bring its tasks
 * (those without `!function` hooks). Every object is strict: an unknown key is an error that names the file,
 * line and field, so a typo never silently changes a benchmark. docs/tasks.md documents every field.
 */
import { z } from "zod";

/** One data file, with the options its format needs. A bare string is `{ path }`. */
export const DataFileSpec = z.strictObject({
  /** Relative to `dataset_path` (itself relative to the data dir) or absolute. `.bz2`/`.gz` are decompressed. */
  path: z.string().min(1),
  /** Inferred from the extension when absent (.jsonl/.json/.csv/.parquet/.txt). */
  format: z.enum(["jsonl", "json", "csv", "parquet", "lines"]).optional(),
  /** json: the key that holds the array of documents (e.g. BIG-Bench's `examples`). */
  field: z.string().optional(),
  /** csv: names for a file without a header row; lines: the field name of each line of a record. */
  column_names: z.array(z.string().min(1)).optional(),
  /** A side file with one value per line, aligned with the documents (e.g. PIQA's `valid-labels.lst`). */
  labels_file: z.string().optional(),
  /** The field the labels file fills (default `label`). */
  labels_field: z.string().optional(),
  /** New fields computed per document: name -> Jinja expression (without braces), e.g. `"[A, B, C, D]"`. */
  map: z.record(z.string(), z.string()).optional(),
});
export type DataFileSpec = z.infer<typeof DataFileSpec>;

const DataFileRef = z.union([z.string().min(1), DataFileSpec]);
export type DataFileRef = z.infer<typeof DataFileRef>;

/** Split name -> file(s). A bare file or list means the split `test`... unless named otherwise below. */
export const DataFiles = z.union([
  DataFileRef,
  z.array(DataFileRef),
  z.record(z.string(), z.union([DataFileRef, z.array(DataFileRef)])),
]);
export type DataFiles = z.infer<typeof DataFiles>;

export const FilterStep = z.discriminatedUnion("function", [
  z.strictObject({
    function: z.literal("regex"),
    regex_pattern: z.string(),
    /** Which match to take when the pattern matches several times (negative counts from the end). */
    group_select: z.number().int().optional(),
    /** What to return when nothing matches (lm-eval: "[invalid]"). */
    fallback: z.string().optional(),
  }),
  z.strictObject({ function: z.literal("take_first") }),
  z.strictObject({ function: z.literal("remove_whitespace") }),
  z.strictObject({ function: z.literal("lowercase") }),
  z.strictObject({ function: z.literal("uppercase") }),
  z.strictObject({ function: z.literal("strip") }),
]);
export type FilterStep = z.infer<typeof FilterStep>;

export const FilterPipeline = z.strictObject({
  name: z.string().min(1),
  filter: z.array(FilterStep).min(1),
});
export type FilterPipeline = z.infer<typeof FilterPipeline>;

export const METRIC_NAMES = ["acc", "acc_norm", "exact_match", "mc1", "mc2", "perplexity", "word_perplexity"] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export const MetricSpec = z.strictObject({
  metric: z.enum(METRIC_NAMES),
  aggregation: z.enum(["mean", "perplexity", "weighted_perplexity"]).optional(),
  higher_is_better: z.boolean().optional(),
  // exact_match options, as lm-evaluation-harness spells them.
  ignore_case: z.boolean().optional(),
  ignore_punctuation: z.boolean().optional(),
  /** Regexes removed from prediction and target before comparing; a leading `(?s)` means dot-all. */
  regexes_to_ignore: z.array(z.string()).optional(),
});
export type MetricSpec = z.infer<typeof MetricSpec>;

export const GenerationKwargs = z.strictObject({
  until: z.union([z.string(), z.array(z.string())]).optional(),
  max_gen_toks: z.number().int().positive().optional(),
  do_sample: z.boolean().optional(),
  temperature: z.number().min(0).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
});
export type GenerationKwargs = z.infer<typeof GenerationKwargs>;

export const FewshotConfig = z.strictObject({
  /** `first_n`: the first k documents of the few-shot split; `default`/`random`: a seeded sample per document. */
  sampler: z.enum(["first_n", "default", "random"]).optional(),
  /** Seed of the few-shot sampler (default: the run's `--seed`, itself 1234 by default). */
  seed: z.number().int().optional(),
});

/** A string template or field name; lists (for `doc_to_choice`) are lists of templates. */
const TemplateOrList = z.union([z.string(), z.array(z.string())]);
const TemplateOrIndex = z.union([z.string(), z.number().int()]);

export const TaskConfig = z.strictObject({
  task: z.string().regex(/^[A-Za-z0-9_.:-]+$/, "letters, digits, _ . : - only"),
  /** Display name (lm-eval). */
  task_alias: z.string().optional(),
  /** Other files whose keys this one extends (this file's keys win). Resolved before validation. */
  include: z.string().optional(),
  /** Groups this task belongs to (lm-eval's `tag`; `group` is accepted on a task for old files). */
  tag: z.union([z.string(), z.array(z.string())]).optional(),
  group: z.union([z.string(), z.array(z.string())]).optional(),
  /** Capability-map categories (math, knowledge, reasoning, ...). */
  category: z.union([z.string(), z.array(z.string())]).optional(),
  description: z.string().optional(),
  /** Where users can get the data when it is missing. */
  dataset_url: z.string().optional(),
  /** Directory of the data files, relative to the data dir (`--data-dir` / config `data_dir`). */
  dataset_path: z.string().optional(),
  /** Accepted for lm-eval compatibility (a subset name); joins `dataset_path` as a sub-directory. */
  dataset_name: z.string().nullable().optional(),
  data_files: DataFiles.optional(),
  /** `trust_remote_code` is accepted for lm-eval files and ignored: modelmap never runs dataset code. */
  dataset_kwargs: z
    .strictObject({ data_files: DataFiles.optional(), trust_remote_code: z.boolean().optional() })
    .optional(),
  test_split: z.string().nullable().optional(),
  validation_split: z.string().nullable().optional(),
  training_split: z.string().nullable().optional(),
  fewshot_split: z.string().nullable().optional(),
  output_type: z.enum(["multiple_choice", "generate_until", "loglikelihood_rolling"]),
  doc_to_text: TemplateOrIndex.optional(),
  doc_to_target: TemplateOrIndex.optional(),
  doc_to_choice: TemplateOrList.optional(),
  num_fewshot: z.number().int().min(0).optional(),
  fewshot_config: FewshotConfig.optional(),
  target_delimiter: z.string().optional(),
  fewshot_delimiter: z.string().optional(),
  generation_kwargs: GenerationKwargs.optional(),
  filter_list: z.array(FilterPipeline).optional(),
  metric_list: z.array(MetricSpec).optional(),
  /** Chance score of the primary metric; computed as mean(1/#choices) for multiple choice when absent. */
  random_baseline: z.number().min(0).max(1).optional(),
  /** The metric (and filter) the normalized score uses, e.g. `acc_norm` or `exact_match,flexible-extract`. */
  primary_metric: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  // Accepted and ignored (lm-eval options with no effect here), so its YAMLs load unchanged.
  should_decontaminate: z.boolean().optional(),
  doc_to_decontamination_query: z.string().optional(),
  repeats: z.literal(1).optional(),
});
export type TaskConfig = z.infer<typeof TaskConfig>;

/** A group file: `group: NAME` with `task: [names or tags]`, as lm-eval's group configs. */
export const GroupConfig = z.strictObject({
  group: z.string().regex(/^[A-Za-z0-9_.:-]+$/),
  group_alias: z.string().optional(),
  task: z.array(z.string().min(1)).min(1),
  category: z.union([z.string(), z.array(z.string())]).optional(),
  aggregate_metric_list: z
    .array(
      z.strictObject({
        metric: z.string(),
        aggregation: z.literal("mean").optional(),
        weight_by_size: z.boolean().optional(),
        filter_list: z.union([z.string(), z.array(z.string())]).optional(),
      }),
    )
    .optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type GroupConfig = z.infer<typeof GroupConfig>;

/** Fields whose presence makes a file a group config rather than a task. */
export function isGroupDocument(doc: Record<string, unknown>): boolean {
  return typeof doc.group === "string" && Array.isArray(doc.task);
}

/** lm-eval keys that call Python code: refused with a clear message rather than "unknown key". */
export const PYTHON_HOOK_KEYS = ["process_docs", "process_results", "custom_dataset", "class"] as const;
