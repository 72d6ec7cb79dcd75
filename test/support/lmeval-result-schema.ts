/**
 * lm-evaluation-harness's result schema (`lm_eval/result_schema.py` at 4e7e0d4: `EvalResults`, `_TaskMetrics`,
 * `_SampleCount`, `_EvalConfig`, `SampleResult`), ported key by key with its types, to read back the files
 * modelmap writes as lm-eval's tools would expect them. Python's `float` accepts ints (the numeric tower); a
 * TypedDict's `extra_items` type applies to every key it does not name. One liberty, which lm-eval's own writer
 * takes: a standard error may be the string "N/A" (`_compute_task_aggregations` writes it where none applies).
 */

type Check = (v: unknown, path: string, out: string[]) => void;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown) => typeof v === "number" && Number.isInteger(v);

const str: Check = (v, p, o) => void (typeof v !== "string" && o.push(`${p}: expected str, got ${JSON.stringify(v)}`));
const int: Check = (v, p, o) => void (!isInt(v) && o.push(`${p}: expected int, got ${JSON.stringify(v)}`));
const float: Check = (v, p, o) =>
  void (typeof v !== "number" && o.push(`${p}: expected float, got ${JSON.stringify(v)}`));
const bool: Check = (v, p, o) =>
  void (typeof v !== "boolean" && o.push(`${p}: expected bool, got ${JSON.stringify(v)}`));
const none: Check = (v, p, o) => void (v !== null && o.push(`${p}: expected None, got ${JSON.stringify(v)}`));
const any: Check = () => {};

function union(...cs: Check[]): Check {
  return (v, p, o) => {
    for (const c of cs) {
      const e: string[] = [];
      c(v, p, e);
      if (e.length === 0) return;
    }
    o.push(`${p}: ${JSON.stringify(v)} matches none of the allowed types`);
  };
}

function list(item: Check): Check {
  return (v, p, o) => {
    if (!Array.isArray(v)) {
      o.push(`${p}: expected list, got ${JSON.stringify(v)}`);
      return;
    }
    for (const [i, x] of v.entries()) item(x, `${p}[${i}]`, o);
  };
}

function dict(value: Check): Check {
  return (v, p, o) => {
    if (!isObj(v)) {
      o.push(`${p}: expected dict, got ${JSON.stringify(v)}`);
      return;
    }
    for (const [k, x] of Object.entries(v)) value(x, `${p}.${k}`, o);
  };
}

/** A TypedDict: `required` keys must be there, `optional` may be; other keys must match `extra` (or are refused). */
function typedDict(spec: { required?: Record<string, Check>; optional?: Record<string, Check>; extra?: Check }): Check {
  return (v, p, o) => {
    if (!isObj(v)) {
      o.push(`${p}: expected dict, got ${JSON.stringify(v)}`);
      return;
    }
    for (const [k, c] of Object.entries(spec.required ?? {})) {
      if (!(k in v)) o.push(`${p}: missing key '${k}'`);
      else c(v[k], `${p}.${k}`, o);
    }
    for (const [k, x] of Object.entries(v)) {
      if (spec.required && k in spec.required) continue;
      const c = spec.optional?.[k];
      if (c) c(x, `${p}.${k}`, o);
      else if (spec.extra) spec.extra(x, `${p}.${k}`, o);
      else o.push(`${p}: unexpected key '${k}'`);
    }
  };
}

/** `_TaskMetrics`: name, alias, sample_len, (groups) sample_count; `"metric,filter"` keys hold numbers. */
const taskMetrics: Check = typedDict({
  required: { name: str, alias: str, sample_len: int },
  optional: { sample_count: dict(int) },
  extra: (v, p, o) => {
    const key = p.slice(p.lastIndexOf(".") + 1);
    if (!key.includes(",")) o.push(`${p}: a metric key is "metric,filter"`);
    if (key.includes("_stderr,") && v === "N/A") return;
    union(int, float, bool, list(any))(v, p, o);
  },
});

const sampleCount = typedDict({ required: { original: int, effective: int } });

const evalConfig = typedDict({
  optional: {
    model: str,
    model_args: union(str, dict(union(str, int, float)), none),
    model_num_parameters: int,
    model_dtype: str,
    model_revision: str,
    model_sha: str,
    batch_size: union(str, none),
    batch_sizes: list(int),
    device: union(str, none),
    use_cache: union(str, none),
    limit: union(int, float, none),
    bootstrap_iters: int,
    gen_kwargs: union(str, dict(any), none),
    random_seed: int,
    numpy_seed: int,
    torch_seed: int,
    fewshot_seed: int,
  },
});

/**
 * `EvalResults` plus the evaluation tracker's fields (`GeneralConfigTracker`, with the `start_time`/`end_time`
 * floats that lm-eval 0.4's tracker also writes). Every key is optional in the TypedDict (`total=False`); the
 * ones modelmap promises to write are required here.
 */
export const EVAL_RESULTS_KEYS = [
  "results",
  "group_subtasks",
  "configs",
  "versions",
  "n-shot",
  "higher_is_better",
  "n-samples",
  "config",
  "git_hash",
  "date",
  "pretty_env_info",
  "transformers_version",
  "lm_eval_version",
  "upper_git_hash",
  "eot_token_id",
  "max_length",
  "model_source",
  "model_name",
  "model_name_sanitized",
  "system_instruction",
  "system_instruction_sha",
  "fewshot_as_multiturn",
  "chat_template",
  "chat_template_sha",
  "task_hashes",
  "total_evaluation_time_seconds",
  "start_time",
  "end_time",
] as const;

const RESULTS_TYPES: Record<string, Check> = {
  results: dict(taskMetrics),
  groups: dict(taskMetrics),
  group_subtasks: dict(list(str)),
  configs: dict(dict(any)),
  versions: dict(union(str, float, none)),
  "n-shot": dict(int),
  higher_is_better: dict(dict(union(bool, none))),
  "n-samples": dict(sampleCount),
  samples: dict(list(any)),
  config: evalConfig,
  git_hash: str,
  date: float,
  pretty_env_info: str,
  transformers_version: str,
  lm_eval_version: str,
  upper_git_hash: union(str, none),
  tokenizer_pad_token: list(str),
  tokenizer_eos_token: list(str),
  tokenizer_bos_token: list(str),
  eot_token_id: union(int, none),
  max_length: union(int, none),
  model_source: str,
  model_name: str,
  model_name_sanitized: str,
  system_instruction: union(str, none),
  system_instruction_sha: union(str, none),
  fewshot_as_multiturn: union(bool, none),
  chat_template: union(str, none),
  chat_template_sha: union(str, none),
  task_hashes: dict(str),
  total_evaluation_time_seconds: str,
  start_time: float,
  end_time: float,
};

/** Problems with a results file (empty: it passes). */
export function checkEvalResults(v: unknown): string[] {
  const out: string[] = [];
  const required = Object.fromEntries(EVAL_RESULTS_KEYS.map((k) => [k, RESULTS_TYPES[k] as Check]));
  const optional = Object.fromEntries(
    Object.entries(RESULTS_TYPES).filter(([k]) => !(EVAL_RESULTS_KEYS as readonly string[]).includes(k)),
  );
  typedDict({ required, optional })(v, "results_file", out);
  return out;
}

/** `SampleResult`: one `samples_*.jsonl` line; the metric values are extra keys of type float. */
const sampleResult = typedDict({
  required: {
    doc_id: int,
    doc: dict(any),
    target: str,
    arguments: dict(dict(any)),
    resps: union(list(list(str)), list(list(list(str)))),
    filtered_resps: union(list(str), list(list(str))),
    filter: str,
    metrics: list(str),
    doc_hash: str,
    prompt_hash: str,
    target_hash: str,
  },
  extra: float,
});

export function checkSampleLine(v: unknown, where = "sample"): string[] {
  const out: string[] = [];
  sampleResult(v, where, out);
  if (out.length === 0 && isObj(v))
    for (const m of v.metrics as string[]) if (!(m in v)) out.push(`${where}: metric '${m}' has no value`);
  return out;
}
