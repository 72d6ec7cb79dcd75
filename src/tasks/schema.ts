/**
 * The task format: lm-evaluation-harness's task YAML (`lm_eval/config/task.py`'s `TaskConfig` and
 * `FewshotConfig`, `lm_eval/config/group.py`'s `GroupConfig`), field for field, so that its files load unchanged,
 * plus a few modelmap keys (local `data_files`, `category`, `random_baseline`, `primary_metric`, `dataset_url`).
 * Objects are strict as lm-eval's dataclasses are: an unknown key is an error that names the file, line and field.
 * Where lm-eval accepts a Python callable (`!function utils.fn`), the schema accepts a {@link FunctionRef}; the
 * loader then binds it to a native hook or refuses it. docs/tasks.md documents every field.
 */
import { z } from "zod";
import { pyTruthy } from "./py-values.ts";
import { FunctionRef } from "./pyyaml.ts";

export const FnRef = z.instanceof(FunctionRef);

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
  /**
   * csv: cells read as null. `pandas`: pandas' default NA strings (the empty cell, "NA", "None", "null", "nan", ...),
   * as the hub's CSV loader reads them.
   */
  na_values: z.union([z.literal("pandas"), z.array(z.string())]).optional(),
  /** A side file with one value per line, aligned with the documents (e.g. PIQA's `valid-labels.lst`). */
  labels_file: z.string().optional(),
  /** The field the labels file fills (default `label`). */
  labels_field: z.string().optional(),
  /** New fields computed per document: name -> Jinja expression (without braces), e.g. `"[A, B, C, D]"`. */
  map: z.record(z.string(), z.string()).optional(),
  /**
   * The document's fields exactly (name -> Jinja expression over the raw row, in order): the row becomes these
   * fields and nothing else, as a Hugging Face dataset's columns. Applied after `map`.
   */
  columns: z.record(z.string(), z.string()).optional(),
  /**
   * A field that holds a list of rows (MuSR's `questions` under each story): each element becomes one document,
   * its fields over the record's other fields. Applied first.
   */
  unnest: z.string().min(1).optional(),
  /** Keeps only the rows for which this Jinja expression is true (a hub configuration that is one slice of a file). */
  where: z.string().min(1).optional(),
});
export type DataFileSpec = z.infer<typeof DataFileSpec>;

const DataFileRef = z.union([z.string().min(1), DataFileSpec]);
export type DataFileRef = z.infer<typeof DataFileRef>;

/** Split name -> file(s). A bare file or list means the evaluated split. */
export const DataFiles = z.union([
  DataFileRef,
  z.array(DataFileRef),
  z.record(z.string(), z.union([DataFileRef, z.array(DataFileRef)])),
]);
export type DataFiles = z.infer<typeof DataFiles>;

/** One filter step: a registered filter by name (or a hook's filter class) and its keyword arguments. */
export const FilterStep = z.looseObject({ function: z.union([z.string().min(1), FnRef]) });
export type FilterStep = z.infer<typeof FilterStep>;

export const FilterPipeline = z.strictObject({
  name: z.string().min(1),
  filter: z.array(FilterStep).min(1),
});
export type FilterPipeline = z.infer<typeof FilterPipeline>;

const Truthy = z.unknown().transform((v) => pyTruthy(v));

/** A metric and its options; options other than the ones named here are the metric function's keyword arguments. */
export const MetricSpec = z.looseObject({
  metric: z.union([z.string().min(1), FnRef]),
  aggregation: z.union([z.string(), FnRef]).optional(),
  /** lm-eval only tests it for truth; some of its files write "true" as a string. */
  higher_is_better: z.unknown().optional(),
  hf_evaluate: z.boolean().optional(),
  // exact_match options, as lm-evaluation-harness spells them.
  // lm-eval only tests these for truth; some of its files write them as strings ("true").
  ignore_case: Truthy.optional(),
  ignore_punctuation: Truthy.optional(),
  /** Regexes removed from prediction and target before comparing; a leading `(?s)` means dot-all. */
  regexes_to_ignore: z.array(z.string()).optional(),
});
export type MetricSpec = z.infer<typeof MetricSpec>;

/**
 * What a generation request may ask for. lm-eval passes the dict to the model as is; modelmap's backends know
 * these keys, and any other (`num_beams`, ...) is refused by name when the task is loaded.
 */
export const GENERATION_KEYS = ["until", "max_gen_toks", "do_sample", "temperature", "top_p", "top_k", "seed"] as const;

export const GenerationKwargs = z.looseObject({
  until: z.union([z.string(), z.array(z.string())]).optional(),
  max_gen_toks: z.number().int().positive().optional(),
  do_sample: z.boolean().optional(),
  temperature: z.number().min(0).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  seed: z.number().int().optional(),
});
export type GenerationKwargs = z.infer<typeof GenerationKwargs>;

/** A template or field name, or a Python hook. */
const Template = z.union([z.string(), FnRef]);

export const FewshotConfig = z.strictObject({
  /** `first_n`: the first k documents in order; `default`: `random.Random(seed).sample` (lm-eval's samplers). */
  sampler: z.union([z.enum(["first_n", "default", "random"]), FnRef]).optional(),
  split: z.string().nullable().optional(),
  process_docs: FnRef.nullable().optional(),
  fewshot_indices: z.array(z.number().int().min(0)).nullable().optional(),
  /** Fixed examples: a list of documents, or a hook that returns one. */
  samples: z
    .union([z.array(z.record(z.string(), z.unknown())), FnRef])
    .nullable()
    .optional(),
  doc_to_text: z.union([Template, z.number().int()]).nullable().optional(),
  doc_to_choice: z
    .union([Template, z.array(z.unknown()), z.record(z.string(), z.unknown())])
    .nullable()
    .optional(),
  doc_to_target: z
    .union([Template, z.number().int(), z.array(z.unknown())])
    .nullable()
    .optional(),
  gen_prefix: z.string().nullable().optional(),
  fewshot_delimiter: z.string().nullable().optional(),
  target_delimiter: z.string().nullable().optional(),
  /** modelmap: the few-shot seed of this task (default: the run's `--seed`, itself lm-eval's 1234). */
  seed: z.number().int().optional(),
});
export type FewshotConfig = z.infer<typeof FewshotConfig>;

const TASK_NAME = z.string().min(1);

export const OUTPUT_TYPES = ["multiple_choice", "generate_until", "loglikelihood", "loglikelihood_rolling"] as const;

export const TaskConfig = z.strictObject({
  task: TASK_NAME,
  /** Display name (lm-eval). */
  task_alias: z.string().nullable().optional(),
  /** Tags this task carries: `--tasks TAG` runs every task with that tag. */
  tag: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
  /** Capability-map categories (math, knowledge, reasoning, ...). */
  category: z.union([z.string(), z.array(z.string())]).optional(),
  /** lm-eval: a Python function that builds the dataset. */
  custom_dataset: FnRef.nullable().optional(),
  /** A Hugging Face dataset id (resolved through the dataset map) or a directory under the data dir. */
  dataset_path: z.string().nullable().optional(),
  /** The dataset's configuration (subset) name. */
  dataset_name: z.string().nullable().optional(),
  /** lm-eval passes these to `datasets.load_dataset`; modelmap reads `data_files` and records the rest. */
  dataset_kwargs: z.record(z.string(), z.unknown()).nullable().optional(),
  /** Where users can get the data when it is missing. */
  dataset_url: z.string().optional(),
  /** modelmap: local files per split (split -> file), relative to `dataset_path` under the data dir. */
  data_files: DataFiles.optional(),
  training_split: z.string().nullable().optional(),
  validation_split: z.string().nullable().optional(),
  test_split: z.string().nullable().optional(),
  fewshot_split: z.string().nullable().optional(),
  process_docs: FnRef.nullable().optional(),
  doc_to_text: z.union([Template, z.number().int()]).nullable().optional(),
  doc_to_target: z
    .union([Template, z.number().int(), z.array(z.unknown())])
    .nullable()
    .optional(),
  doc_to_choice: z
    .union([Template, z.array(z.unknown()), z.record(z.string(), z.unknown())])
    .nullable()
    .optional(),
  doc_to_image: z.unknown().optional(),
  doc_to_audio: z.unknown().optional(),
  unsafe_code: z.boolean().optional(),
  process_results: z.union([FnRef, z.string()]).nullable().optional(),
  use_prompt: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  target_delimiter: z.string().optional(),
  fewshot_delimiter: z.string().optional(),
  fewshot_config: FewshotConfig.nullable().optional(),
  num_fewshot: z.number().int().min(0).nullable().optional(),
  metric_list: z.array(MetricSpec).nullable().optional(),
  output_type: z.enum(OUTPUT_TYPES).optional(),
  generation_kwargs: GenerationKwargs.nullable().optional(),
  repeats: z.number().int().min(1).optional(),
  filter_list: z.array(FilterPipeline).nullable().optional(),
  should_decontaminate: z.boolean().optional(),
  doc_to_decontamination_query: z.union([z.string(), FnRef]).nullable().optional(),
  gen_prefix: z.string().nullable().optional(),
  /** Chance score of the primary metric; computed as mean(1/#choices) for multiple choice when absent. */
  random_baseline: z.number().min(0).max(1).optional(),
  /** The metric (and filter) the normalized score uses, e.g. `acc_norm` or `exact_match,flexible-extract`. */
  primary_metric: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type TaskConfig = z.infer<typeof TaskConfig>;

export const AggregateMetric = z.strictObject({
  metric: z.union([z.string(), FnRef]),
  aggregation: z.union([z.literal("mean"), FnRef]).optional(),
  weight_by_size: z.boolean().optional(),
  filter_list: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
});

/** A group member: a task, group or tag name, or a dict (a task with overrides, or an inline group). */
export const GroupMember = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);
export type GroupMember = z.infer<typeof GroupMember>;

/** A group file: `group: NAME` with `task: [members]`, as lm-eval's `GroupConfig`. Other keys override members. */
export const GroupConfig = z.strictObject({
  group: TASK_NAME,
  group_alias: z.string().nullable().optional(),
  task: z.union([z.string().min(1), z.array(GroupMember)]).optional(),
  category: z.union([z.string(), z.array(z.string())]).optional(),
  aggregate_metric_list: z
    .union([AggregateMetric, z.array(AggregateMetric)])
    .nullable()
    .optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type GroupConfig = z.infer<typeof GroupConfig>;

/** The keys of a group file that belong to the group; lm-eval passes every other key on to its members. */
export const GROUP_KEYS = new Set(["group", "group_alias", "task", "aggregate_metric_list", "metadata", "category"]);
