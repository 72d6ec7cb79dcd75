/**
 * The table of the bad-input corpus (test/bad-input.test.ts runs it): hostile or broken files and arguments
 * for every command that reads user input, each with the exit code and the words its message must hold.
 */
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { HOSTILE_GGUFS, UNLOADABLE_GGUFS } from "./hostile-gguf.ts";

export interface CaseContext {
  tasks: string;
  data: string;
  model: string;
  url: string;
  busy: string;
  gguf: string;
}

type Files = NonNullable<Case["files"]>;

export interface Case {
  name: string;
  /** Files written into the case directory first: text (placeholders filled), bytes, or null for a directory. */
  files?: Record<string, string | Buffer | null | ((c: CaseContext & { d: string }) => string | Buffer)>;
  args: string[];
  code: number;
  /** Every one must appear in stderr (strings after placeholders are filled). */
  expect: Array<string | RegExp>;
  stdout?: RegExp[];
  bin?: boolean;
  limitMs?: number;
  /** Reported by node:test as TODO (not a failure) while the fix waits on another branch; say which. */
  todo?: string;
  setup?: (c: CaseContext & { d: string }) => Promise<void> | void;
  check?: (c: CaseContext & { d: string }, r: { code: number | null; out: string; err: string }) => void;
}

const cases: Case[] = [];
const add = (...c: Case[]) => cases.push(...c);

// ---------------------------------------------------------------------------------------------------------------
// Task definitions and datasets, each through `tasks validate --data-dir` and through `eval` against a server.

const MC_ROWS = Array.from({ length: 8 }, (_, i) =>
  JSON.stringify({ q: `Item ${i} is red. What colour is item ${i}?`, options: ["red", "blue"], gold: 0 }),
);
const MC_DATA = `${MC_ROWS.join("\n")}\n`;

const VALID_MC = {
  task: "bad_mc",
  data_files: { test: "mc.jsonl" },
  output_type: "multiple_choice",
  doc_to_text: "Question: {{q}}\nAnswer:",
  doc_to_choice: "options",
  doc_to_target: "gold",
  metric_list: [{ metric: "acc" }],
};

const VALID_GEN = {
  task: "bad_gen",
  data_files: { test: "gen.jsonl" },
  output_type: "generate_until",
  doc_to_text: "Q: {{question}}\nA:",
  doc_to_target: "{{answer}}",
  generation_kwargs: { until: ["\n"], max_gen_toks: 4 },
  filter_list: [
    { name: "strict", filter: [{ function: "regex", regex_pattern: "(\\d+)" }, { function: "take_first" }] },
  ],
  metric_list: [{ metric: "exact_match" }],
};
const GEN_DATA = `${Array.from({ length: 4 }, (_, i) => JSON.stringify({ question: `${i}+${i}?`, answer: `${2 * i}` })).join("\n")}\n`;

function taskYaml(t: Record<string, unknown>): string {
  return stringify(t, { lineWidth: 0 });
}

const validateArgs = ["tasks", "validate", "{d}/tasks", "--data-dir", "{d}/data"];
const evalArgs = (task: string, extra: string[] = []) => [
  "eval",
  "--endpoint",
  "{url}",
  "--model-name",
  "toy",
  "--tasks",
  task,
  "--tasks-dir",
  "{d}/tasks",
  "--data-dir",
  "{d}/data",
  "--quiet",
  ...extra,
];

/** A broken task or dataset, run both through `tasks validate --data-dir` and through `eval`. */
function taskCase(
  name: string,
  files: Files,
  expect: Array<string | RegExp>,
  opts: { task?: string; validateExpect?: Array<string | RegExp>; evalExpect?: Array<string | RegExp> } = {},
): void {
  add(
    {
      name: `task/${name}/validate`,
      files,
      args: validateArgs,
      code: 2,
      expect: [...expect, ...(opts.validateExpect ?? [])],
    },
    {
      name: `task/${name}/eval`,
      files,
      args: evalArgs(opts.task ?? "bad_mc"),
      code: 2,
      expect: [...expect, ...(opts.evalExpect ?? [])],
    },
  );
}

const mc = (over: Record<string, unknown>, data: string | Buffer = MC_DATA): Files => ({
  "tasks/bad_mc.yaml": taskYaml({ ...VALID_MC, ...over }),
  "data/mc.jsonl": data,
});
const gen = (over: Record<string, unknown>, data: string | Buffer = GEN_DATA): Files => ({
  "tasks/bad_gen.yaml": taskYaml({ ...VALID_GEN, ...over }),
  "data/gen.jsonl": data,
});

// Issue 19 item 5: a loop in a task template aborted V8 after 13-25 s at 2.4-2.7 GB.
taskCase("jinja-loop-billion", mc({ doc_to_text: "{% for i in range(1000000000) %}x{% endfor %}{{q}}" }), [
  "bad_mc",
  "doc_to_text",
  /limit \d|took more than/,
]);
taskCase(
  "jinja-nested-loops",
  mc({ doc_to_text: "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}" }),
  ["bad_mc", "doc_to_text", /limit \d|took more than/],
);
taskCase(
  "jinja-string-doubling",
  mc({
    doc_to_text:
      "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ns.s}}",
  }),
  ["bad_mc", "doc_to_text", /limit \d|took more than/],
);
// Issue 19 item 13: an unclosed {{ was sent to the model literally.
taskCase("jinja-unclosed-braces", mc({ doc_to_text: "Question: {{q\nAnswer:" }), ["bad_mc", "doc_to_text"]);
taskCase("jinja-unclosed-block", mc({ doc_to_text: "{% if q %}Question: {{q}}" }), ["bad_mc", "doc_to_text"]);
taskCase("jinja-unknown-filter", mc({ doc_to_text: "{{ q | frobnicate }}" }), ["bad_mc", "doc_to_text", "frobnicate"]);
taskCase("jinja-undefined-field", mc({ doc_to_text: "{{ question_text.upper() }}" }), ["bad_mc", "doc_to_text"]);
taskCase("target-out-of-range", mc({ doc_to_target: "{{ 7 }}" }), ["bad_mc", "doc_to_target"]);
taskCase("choices-not-a-list", mc({ doc_to_choice: "q" }), ["bad_mc", "doc_to_choice"]);
// An invalid regex_pattern was reported after 8 requests were sent, naming no task or file.
taskCase(
  "regex-invalid",
  gen({ filter_list: [{ name: "strict", filter: [{ function: "regex", regex_pattern: "(\\d+" }] }] }),
  ["bad_gen", "regex_pattern"],
  { task: "bad_gen", evalExpect: ["bad_gen.yaml"] },
);
taskCase(
  "regex-in-metric-invalid",
  gen({ metric_list: [{ metric: "exact_match", regexes_to_ignore: ["[a-"] }] }),
  ["bad_gen"],
  {
    task: "bad_gen",
  },
);
taskCase("dataset-missing", mc({ data_files: { test: "nope.jsonl" } }), ["nope.jsonl"]);
taskCase("dataset-directory", { ...mc({ data_files: { test: "dir.jsonl" } }), "data/dir.jsonl/x": "{}" }, [
  "dir.jsonl",
]);
// Issue 19 item 13: an empty dataset gave exit 0 and an empty table.
taskCase("dataset-empty", mc({}, ""), ["bad_mc", /no documents/]);
taskCase("dataset-blank-lines", mc({}, "\n\n\n"), ["bad_mc", /no documents/]);
taskCase("dataset-malformed-jsonl", mc({}, `{"q": "broken",\n${MC_ROWS[0]}\n`), ["mc.jsonl", "line 1", "JSON"]);
taskCase("dataset-row-not-object", mc({}, `[1, 2, 3]\n${MC_ROWS[0]}\n`), ["mc.jsonl", "line 1"]);
// Problems past the first document: `tasks validate` reads the first one; eval reads them all.
const laterRow = (name: string, data: string | Buffer, expect: Array<string | RegExp>) =>
  add({ name: `task/${name}/eval`, files: mc({}, data), args: evalArgs("bad_mc"), code: 2, expect });
laterRow("dataset-malformed-jsonl-line-5", `${MC_ROWS.slice(0, 4).join("\n")}\n{"q": "broken",\n`, [
  "mc.jsonl",
  "line 5",
]);
laterRow("dataset-row-not-object-line-3", `${MC_ROWS.slice(0, 2).join("\n")}\n"just a string"\n`, [
  "mc.jsonl",
  "line 3",
]);
laterRow(
  "dataset-invalid-utf8-line-4",
  Buffer.concat([
    Buffer.from(`${MC_ROWS.slice(0, 3).join("\n")}\n{"q": "`),
    Buffer.from([0xc3, 0x28]),
    Buffer.from(`", "options": ["a"], "gold": 0}\n`),
  ]),
  ["mc.jsonl", "line 4", "UTF-8"],
);
// Issue 19 item 13: invalid UTF-8 in datasets was accepted.
taskCase(
  "dataset-invalid-utf8",
  mc(
    {},
    Buffer.concat([
      Buffer.from(`{"q": "caf`),
      Buffer.from([0xe9]),
      Buffer.from(`", "options": ["a","b"], "gold": 0}\n${MC_ROWS[0]}\n`),
    ]),
  ),
  ["mc.jsonl", "line 1", "UTF-8"],
);
taskCase("dataset-binary", mc({}, Buffer.from([0x00, 0xff, 0xfe, 0x00, 0x01, 0x02, 0x9c, 0x80])), ["mc.jsonl"]);
taskCase(
  "dataset-csv-ragged",
  {
    ...mc({ data_files: { test: "mc.csv" }, doc_to_choice: "{{[a, b]}}" }),
    "data/mc.csv": 'q,a,b,gold\n"y",1\n"x",1,2,0\n',
  },
  ["mc.csv", "line 2"],
);
taskCase("dataset-missing-field", mc({}, `${JSON.stringify({ question: "no q here", options: ["a"], gold: 0 })}\n`), [
  "bad_mc",
  /\bq\b/,
]);
// Issue 19 item 13: num_fewshot 50 on an 8-row split gave 7 shots and no warning.
taskCase(
  "fewshot-more-than-split",
  mc({ num_fewshot: 50, data_files: { test: "mc.jsonl", train: "mc.jsonl" }, fewshot_split: "train" }),
  ["bad_mc", "num_fewshot", "50"],
);

// Task files themselves.
const taskFile = (name: string, text: string | Buffer, expect: Array<string | RegExp>) =>
  add(
    {
      name: `taskfile/${name}/validate`,
      files: { "tasks/bad.yaml": text, "data/mc.jsonl": MC_DATA },
      args: validateArgs,
      code: 2,
      expect: ["bad.yaml", ...expect],
    },
    {
      name: `taskfile/${name}/eval`,
      files: { "tasks/bad.yaml": text, "data/mc.jsonl": MC_DATA },
      args: evalArgs("bad_mc"),
      code: 2,
      expect: ["bad.yaml", ...expect],
    },
  );
taskFile("yaml-syntax", "task: bad_mc\ndoc_to_text: [unclosed\n", [/line \d/]);
taskFile("not-a-mapping", "- just\n- a list\n", []);
taskFile(
  "alias-bomb",
  `task: bad_mc\na: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`,
  [],
);
taskFile("binary", Buffer.from([0x00, 0x9c, 0xff, 0x80, 0x00, 0x41]), []);
taskFile("wrong-output-type", taskYaml({ ...VALID_MC, output_type: "multiple_guess" }), ["output_type"]);
taskFile("num-fewshot-negative", taskYaml({ ...VALID_MC, num_fewshot: -1 }), ["num_fewshot"]);
taskFile("num-fewshot-not-a-number", taskYaml({ ...VALID_MC, num_fewshot: "three" }), ["num_fewshot"]);
taskFile("include-missing", taskYaml({ ...VALID_MC, include: "nope.yaml" }), ["nope.yaml"]);
taskFile("include-self", taskYaml({ ...VALID_MC, include: "bad.yaml" }), ["bad.yaml"]);
taskFile("python-hook", taskYaml({ ...VALID_MC, process_docs: "!function utils.process_docs" }), ["process_docs"]);

// Issue 19 item 11: a task defined twice exited 1.
add(
  {
    name: "taskfile/defined-twice/eval",
    files: {
      "tasks/one.yaml": taskYaml(VALID_MC),
      "tasks/two.yaml": taskYaml(VALID_MC),
      "data/mc.jsonl": MC_DATA,
    },
    // lm-eval's rule (the loader's): the first definition wins, and the run says which file it skipped.
    args: evalArgs("bad_mc"),
    code: 0,
    expect: ["defined twice", "two.yaml"],
  },
  {
    name: "taskfile/unknown-task/eval",
    files: { "tasks/one.yaml": taskYaml(VALID_MC), "data/mc.jsonl": MC_DATA },
    args: evalArgs("no_such_task"),
    code: 2,
    expect: ["no_such_task"],
  },
  {
    name: "taskfile/tasks-dir-missing/eval",
    args: evalArgs("bad_mc"),
    code: 2,
    expect: ["{d}/tasks"],
  },
  {
    name: "taskfile/validate-missing-path",
    args: ["tasks", "validate", "{d}/nowhere"],
    code: 2,
    expect: ["{d}/nowhere"],
  },
);

// ---------------------------------------------------------------------------------------------------------------
// modelmap.yaml

const configCase = (name: string, text: string | Buffer | null, expect: Array<string | RegExp>, code = 2) =>
  add({
    name: `config/${name}`,
    files: { "modelmap.yaml": text },
    args: ["config", "check", "--config", "{d}/modelmap.yaml"],
    code,
    expect: ["modelmap.yaml", ...expect],
  });
const model = (m: Record<string, unknown>) =>
  stringify({ models: [{ id: "m", backend: "openai", endpoints: "http://127.0.0.1:9/v1", ...m }] });

// Issue 19 item 11: --config at a directory gave a raw EISDIR; an alias bomb named no file.
configCase("directory", null, ["directory"]);
configCase(
  "binary",
  Buffer.concat([
    Buffer.from("models:\n  - id: "),
    Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)),
  ]),
  [],
);
configCase(
  "alias-bomb",
  `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n`,
  [/alias/],
);
configCase("yaml-syntax", "models:\n  - id: m\n    backend: [openai\n", [/line \d/]);
configCase("unknown-top-key", "modles: []\n", ["modles"]);
configCase("unknown-model-key", model({ endpoint: "http://x/v1" }), ["endpoint"]);
configCase("bad-backend", model({ backend: "vllm" }), ["backend"]);
configCase("openai-without-endpoints", stringify({ models: [{ id: "m", backend: "openai" }] }), ["endpoints"]);
configCase("llama-without-file", stringify({ models: [{ id: "m", backend: "llama-cpp" }] }), ["file"]);
configCase("endpoint-not-url", model({ endpoints: "not a url" }), ["endpoints"]);
// Issue 19 item 13: an endpoint not ending in /v1 passed `config check`.
configCase("endpoint-without-v1", model({ endpoints: "http://127.0.0.1:8000" }), ["endpoints", "/v1"]);
configCase("endpoint-trailing-slash-root", model({ endpoints: "http://127.0.0.1:8000/" }), ["endpoints", "/v1"]);
configCase("max-retries-negative", model({ max_retries: -1 }), ["max_retries"]);
configCase("concurrency-zero", model({ concurrency: 0 }), ["concurrency"]);
configCase(
  "duplicate-model-id",
  stringify({
    models: [
      { id: "m", backend: "openai", endpoints: "http://a/v1" },
      { id: "m", backend: "openai", endpoints: "http://b/v1" },
    ],
  }),
  [/\bm\b/, /twice|duplicate/],
);
configCase("duplicate-yaml-key", "models: []\nmodels: []\n", [/line \d/]);
// Issue 19 item 13: `template: {source: named, name: nope}` named no file or field.
configCase("template-named-unknown", model({ template: { source: "named", name: "nope" } }), ["template", "nope"]);
configCase("template-source-unknown", model({ template: { source: "magic" } }), ["template.source"]);
configCase("tokenizer-config-missing", model({ template: { source: "tokenizer_config", path: "nowhere.json" } }), [
  "nowhere.json",
]);
configCase("system-prompt-preset-unknown", model({ system_prompt: { preset: "nope" } }), ["nope"]);
configCase(
  "invalid-utf8",
  Buffer.concat([Buffer.from("models:\n  - id: caf"), Buffer.from([0xe9]), Buffer.from("\n")]),
  ["UTF-8", "line 2"],
);
configCase("nul-byte", Buffer.from("models: []\n\u0000\n"), []);
configCase("models-not-a-list", "models: 5\n", ["models"]);
add(
  {
    name: "config/missing-file",
    args: ["config", "check", "--config", "{d}/nope.yaml"],
    code: 2,
    expect: ["{d}/nope.yaml"],
  },
  {
    name: "config/eval-config-directory",
    files: { "cfg.yaml": null },
    args: ["eval", "--tasks", "x", "--model", "m", "--config", "{d}/cfg.yaml"],
    code: 2,
    expect: ["{d}/cfg.yaml", "directory"],
  },
  {
    name: "config/eval-model-not-in-config",
    files: { "modelmap.yaml": model({}) },
    args: ["eval", "--tasks", "x", "--model", "other", "--config", "{d}/modelmap.yaml"],
    code: 2,
    expect: ["other", "modelmap.yaml"],
  },
  {
    name: "config/api-key-env-unset",
    files: { "modelmap.yaml": model({ api_key_env: "MM_TEST_SURELY_UNSET" }) },
    args: ["eval", "--tasks", "x", "--model", "m", "--config", "{d}/modelmap.yaml"],
    code: 2,
    expect: ["MM_TEST_SURELY_UNSET"],
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Command-line arguments. Issue 19 item 12: negative numbers said "argument is ambiguous".

const flagCase = (name: string, args: string[], expect: Array<string | RegExp>, code = 2) =>
  add({ name: `flags/${name}`, args, code, expect });
const evalModel = ["eval", "--tasks", "x", "--endpoint", "{url}", "--model-name", "toy"];
flagCase("eval-limit-negative", [...evalModel, "--limit", "-5"], ["--limit", ">= 1", "-5"]);
flagCase("eval-threads-negative", [...evalModel, "--threads", "-1"], ["--threads", ">= 1"]);
flagCase("eval-num-fewshot-negative", [...evalModel, "--num-fewshot", "-1"], ["--num-fewshot", ">= 0"]);
flagCase("eval-limit-zero", [...evalModel, "--limit", "0"], ["--limit"]);
flagCase("eval-limit-text", [...evalModel, "--limit", "ten"], ["--limit", "ten"]);
flagCase("eval-limit-fraction", [...evalModel, "--limit", "2.5"], ["--limit", "integer"]);
flagCase("eval-limit-huge", [...evalModel, "--limit", "1e400"], ["--limit"]);
flagCase("eval-window-negative", [...evalModel, "--window", "-100"], ["--window"]);
flagCase("eval-seed-text", [...evalModel, "--seed", "abc"], ["--seed"]);
flagCase("eval-limit-equals-negative", [...evalModel, "--limit=-5"], ["--limit", ">= 1"]);
flagCase("serve-port-negative", ["serve", "--port", "-1"], ["--port", ">= 0"]);
flagCase("serve-port-too-big", ["serve", "--port", "70000"], ["--port", "65535"]);
flagCase("serve-port-text", ["serve", "--port", "http"], ["--port"]);
flagCase("serve-model-port-negative", ["serve-model", "{model}", "--port", "-1"], ["--port"]);
flagCase("start-port-negative", ["start", "--port", "-1", "--no-serve"], ["--port"]);
flagCase("start-limit-negative", ["start", "--limit", "-3", "--no-serve"], ["--limit"]);
flagCase(
  "label-per-labeler-negative",
  ["label", "create", "--name", "c", "--prompts", "p", "--models", "a,b", "--per-labeler", "-3"],
  ["--per-labeler", ">= 1"],
);
flagCase(
  "label-gold-rate-negative",
  ["label", "create", "--name", "c", "--prompts", "p", "--models", "a,b", "--gold-rate", "-0.5"],
  ["--gold-rate"],
);
flagCase("rank-bootstrap-negative", ["rank", "--bootstrap", "-5"], ["--bootstrap", ">= 0"]);
flagCase("rank-style-bootstrap-negative", ["rank", "style", "--bootstrap", "-5"], ["--bootstrap"]);
flagCase("winrate-bootstrap-negative", ["winrate", "--bootstrap", "-5"], ["--bootstrap"]);
flagCase("ab-import-bootstrap-negative", ["ab", "import", "x.jsonl", "--bootstrap", "-5"], ["--bootstrap"]);
flagCase("meta-bootstrap-negative", ["meta", "--reference", "arena", "--bootstrap", "-5"], ["--bootstrap"]);
flagCase("map-sync-bootstrap-negative", ["map", "sync", "--bootstrap", "-5"], ["--bootstrap"]);
flagCase(
  "contamination-shards-negative",
  ["contamination", "--gguf", "{model}", "--task", "x", "--shards", "-2"],
  ["--shards"],
);
flagCase(
  "sensitivity-limit-negative",
  ["sensitivity", "--gguf", "{model}", "--task", "x", "--limit", "-2"],
  ["--limit"],
);
flagCase(
  "generate-max-tokens-negative",
  ["generate", "--models", "a@{url}", "--prompts", "p", "--max-tokens", "-5"],
  ["--max-tokens"],
);
flagCase(
  "generate-temperature-negative",
  ["generate", "--models", "a@{url}", "--prompts", "p", "--temperature", "-1"],
  ["--temperature"],
);
flagCase("rank-ci-out-of-range", ["rank", "--ci", "1.5"], ["--ci"]);
flagCase("unknown-flag", [...evalModel, "--limt", "5"], ["--limt"]);
flagCase("unknown-command", ["evaluate"], ["evaluate"]);
flagCase("eval-no-tasks", ["eval", "--endpoint", "{url}", "--model-name", "toy"], ["--tasks"]);
flagCase("eval-empty-tasks", ["eval", "--tasks", ",", "--endpoint", "{url}", "--model-name", "toy"], ["--tasks"]);
flagCase("eval-no-model", ["eval", "--tasks", "x"], [/--model|--gguf|--endpoint/]);
flagCase(
  "eval-two-models",
  ["eval", "--tasks", "x", "--gguf", "{model}", "--endpoint", "{url}", "--model-name", "t"],
  [/--gguf|--endpoint/],
);
flagCase(
  "eval-endpoint-not-url",
  ["eval", "--tasks", "x", "--endpoint", "localhost", "--model-name", "t"],
  ["--endpoint"],
);
flagCase("eval-format-bad", [...evalModel, "--format", "xml"], ["--format", "xml"]);
flagCase("eval-system-prompt-without-chat", [...evalModel, "--system-prompt", "hi"], ["--chat-template"]);
flagCase("eval-api-key-env-unset", [...evalModel, "--api-key-env", "MM_TEST_SURELY_UNSET"], ["MM_TEST_SURELY_UNSET"]);
flagCase(
  "eval-data-dir-missing",
  [...evalModel.slice(0, 2), "bad_mc", ...evalModel.slice(3), "--tasks-dir", "{tasks}", "--data-dir", "{d}/nowhere"],
  [],
);
flagCase("db-flag-without-value", ["runs", "list", "--db"], ["--db"]);
flagCase("rank-method-bad", ["rank", "--method", "glicko"], ["--method", "glicko"]);
flagCase("rank-anchor-bad", ["rank", "--anchor", "m=abc"], ["--anchor"]);
flagCase(
  "label-reveal-bad",
  ["label", "create", "--name", "c", "--prompts", "p", "--models", "a,b", "--reveal", "sometimes"],
  ["--reveal"],
);
flagCase("runs-show-unknown", ["runs", "show", "no-such-run"], ["no-such-run"]);
flagCase("runs-compare-unknown", ["runs", "compare", "a1", "b2"], ["a1"]);
flagCase("models-show-unknown", ["models", "show", "nope", "--config", "{d}/none.yaml"], ["none.yaml"]);

// Paths given as flags: Issue 19 item 11 (--db at a text file, --output at a file).
add(
  {
    name: "paths/db-text-file",
    files: { "notes.txt": "hello\n" },
    args: ["--db", "{d}/notes.txt", "runs", "list"],
    code: 2,
    expect: ["{d}/notes.txt", "not an SQLite database"],
  },
  {
    name: "paths/db-directory",
    files: { dbdir: null },
    args: ["--db", "{d}/dbdir", "runs", "list"],
    code: 2,
    expect: ["{d}/dbdir"],
  },
  {
    name: "paths/db-under-a-file",
    files: { "notes.txt": "hello\n" },
    args: ["--db", "{d}/notes.txt/m.db", "runs", "list"],
    code: 2,
    expect: ["{d}/notes.txt/m.db"],
  },
  {
    name: "paths/output-is-a-file",
    files: { ...mc({}), "out.txt": "not a directory\n" },
    args: [...evalArgs("bad_mc"), "--output", "{d}/out.txt"],
    code: 2,
    expect: ["{d}/out.txt", "--output"],
    check: (_c, r) => {
      if (/requests|documents/.test(r.out)) throw new Error("the evaluation ran before --output was checked");
    },
  },
  {
    name: "paths/output-under-a-file",
    files: { ...mc({}), "out.txt": "not a directory\n" },
    args: [...evalArgs("bad_mc"), "--output", "{d}/out.txt/results"],
    code: 2,
    expect: ["{d}/out.txt/results", "--output"],
  },
  {
    name: "paths/gguf-missing",
    args: ["eval", "--tasks", "x", "--gguf", "{d}/nope.gguf"],
    code: 2,
    expect: ["{d}/nope.gguf"],
  },
  {
    name: "paths/gguf-directory",
    files: { "model.gguf": null },
    args: ["eval", "--tasks", "x", "--gguf", "{d}/model.gguf"],
    code: 2,
    expect: ["{d}/model.gguf", "directory"],
  },
);

// ---------------------------------------------------------------------------------------------------------------
// GGUF files. Issue 19 item 6: crafted headers crashed node-llama-cpp's reader (exit 134, 132 at 1.75 GB).

for (const h of HOSTILE_GGUFS) {
  add({
    name: `gguf/${h.name}/eval`,
    args: ["eval", "--tasks", "x", "--gguf", `{gguf}/${h.name}.gguf`],
    code: 2,
    expect: [`{gguf}/${h.name}.gguf`, h.expect],
  });
}
// Issue 19 item 11: unloadable GGUFs exited 1 with "llama.cpp could not load FILE" and mostly no reason.
for (const h of UNLOADABLE_GGUFS) {
  add({
    name: `gguf/${h.name}/eval`,
    args: ["eval", "--tasks", "x", "--gguf", `{gguf}/${h.name}.gguf`],
    code: 2,
    expect: [`{gguf}/${h.name}.gguf`, h.expect],
  });
}
const ggufModel = (file: string) => stringify({ models: [{ id: "g", backend: "llama-cpp", file }] });
for (const name of ["array-count-2^40", "nested-arrays-500k", "string-length-2^50", "tensor-count-3x2^30"]) {
  add(
    {
      name: `gguf/${name}/models-show`,
      files: { "modelmap.yaml": ggufModel(`{gguf}/${name}.gguf`) },
      args: ["models", "show", "g", "--config", "{d}/modelmap.yaml"],
      code: 2,
      expect: [`{gguf}/${name}.gguf`],
    },
    {
      name: `gguf/${name}/bin-eval`,
      args: ["eval", "--tasks", "x", "--gguf", `{gguf}/${name}.gguf`],
      code: 2,
      expect: [`{gguf}/${name}.gguf`],
      bin: true,
    },
  );
}
add(
  {
    name: "gguf/array-count-2^40/contamination",
    files: mc({}),
    args: [
      "contamination",
      "--gguf",
      "{gguf}/array-count-2^40.gguf",
      "--task",
      "bad_mc",
      "--tasks-dir",
      "{d}/tasks",
      "--data-dir",
      "{d}/data",
    ],
    code: 2,
    expect: ["{gguf}/array-count-2^40.gguf", "evil.array"],
  },
  {
    name: "gguf/array-count-2^40/sensitivity",
    files: mc({}),
    args: [
      "sensitivity",
      "--gguf",
      "{gguf}/array-count-2^40.gguf",
      "--task",
      "bad_mc",
      "--tasks-dir",
      "{d}/tasks",
      "--data-dir",
      "{d}/data",
    ],
    code: 2,
    expect: ["{gguf}/array-count-2^40.gguf", "evil.array"],
  },
  {
    name: "gguf/array-count-2^40/serve-model",
    args: ["serve-model", "{gguf}/array-count-2^40.gguf", "--port", "0"],
    code: 2,
    expect: ["{gguf}/array-count-2^40.gguf"],
  },
  {
    name: "gguf/array-count-2^40/models-check",
    files: { "modelmap.yaml": ggufModel("{gguf}/array-count-2^40.gguf") },
    args: ["models", "check", "g", "--config", "{d}/modelmap.yaml"],
    code: 1,
    expect: [],
    stdout: [/FAIL g/, /array-count-2\^40\.gguf, field 'evil\.array'/],
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Pairwise votes.

const battle = (a: string, b: string, winner = "model_a") => JSON.stringify({ model_a: a, model_b: b, winner });
const voteCase = (
  name: string,
  text: string | Buffer | null,
  expect: Array<string | RegExp>,
  opts: { strict?: boolean; code?: number } = {},
) =>
  add({
    name: `votes/${name}`,
    files: { "votes.jsonl": text },
    args: ["votes", "import", "{d}/votes.jsonl", "--source", "s", ...(opts.strict === false ? [] : ["--strict"])],
    code: opts.code ?? 2,
    expect: ["votes.jsonl", ...expect],
  });
voteCase("missing", null, ["directory"]);
voteCase("empty", "", ["empty"]);
voteCase("binary", Buffer.from([0x00, 0x9c, 0xff, 0x80, 0x41, 0x42]), []);
voteCase(
  "invalid-utf8",
  Buffer.concat([
    Buffer.from(`${battle("a", "b")}\n{"model_a": "caf`),
    Buffer.from([0xe9]),
    Buffer.from(`", "model_b": "b", "winner": "tie"}\n`),
  ]),
  ["line 2", "UTF-8"],
);
voteCase("malformed-json", `${battle("a", "b")}\n{"model_a": "a",\n`, ["line 2"]);
voteCase("bad-winner", `${battle("a", "b")}\n${battle("a", "b", "draw")}\n`, ["line 2", "winner"]);
voteCase("missing-model-b", `${battle("a", "b")}\n${JSON.stringify({ model_a: "a", winner: "tie" })}\n`, [
  "line 2",
  "model_b",
]);
voteCase("same-model-twice", `${battle("a", "b")}\n${battle("a", "a")}\n`, ["line 2"]);
// Issue 19 item 13: a lone surrogate or NUL in vote model names was stored as invalid UTF-8.
voteCase("lone-surrogate-model", `${battle("a", "b")}\n{"model_a": "bad\\ud800", "model_b": "b", "winner": "tie"}\n`, [
  "line 2",
  "model_a",
  "lone surrogate",
]);
voteCase("nul-in-model", `${battle("a", "b")}\n{"model_a": "a", "model_b": "b\\u0000c", "winner": "tie"}\n`, [
  "line 2",
  "model_b",
  "U+0000",
]);
voteCase("control-char-in-model", `{"model_a": "a\\u001b[31m", "model_b": "b", "winner": "tie"}\n`, [
  "line 1",
  "model_a",
  "U+001B",
]);
voteCase("array-unclosed", `[${battle("a", "b")},\n${battle("b", "c")}\n`, []);
voteCase("not-votes", `${JSON.stringify({ hello: "world" })}\n`, []);
voteCase("counts-bad-shape", JSON.stringify({ models: ["a", "b"], X: [[0, 5]], Y: [[1, 2, 0]] }), []);
voteCase(
  "surrogate-skipped-without-strict",
  `${battle("a", "b")}\n{"model_a": "bad\\ud800", "model_b": "b", "winner": "tie"}\n`,
  [/1 bad row|skipped/],
  { strict: false, code: 0 },
);
add(
  {
    name: "votes/no-source",
    files: { "v.jsonl": `${battle("a", "b")}\n` },
    args: ["votes", "import", "{d}/v.jsonl"],
    code: 2,
    expect: ["--source"],
  },
  { name: "votes/rank-missing-file", args: ["rank", "{d}/nope.jsonl"], code: 2, expect: ["{d}/nope.jsonl"] },
  {
    name: "votes/rank-directory",
    files: { "dir.jsonl": null },
    args: ["rank", "{d}/dir.jsonl"],
    code: 2,
    expect: ["{d}/dir.jsonl", "directory"],
  },
  {
    name: "votes/rank-strict-bad-row",
    files: { "v.jsonl": `${battle("a", "b")}\n${battle("a", "b", "nobody")}\n` },
    args: ["rank", "{d}/v.jsonl", "--strict"],
    code: 2,
    expect: ["v.jsonl", "line 2"],
  },
  { name: "votes/bias-missing-file", args: ["bias", "{d}/nope.jsonl"], code: 2, expect: ["{d}/nope.jsonl"] },
  {
    name: "votes/agree-one-file",
    files: { "a.jsonl": `${battle("a", "b")}\n` },
    args: ["agree", "{d}/a.jsonl"],
    code: 2,
    expect: [/two|A B|agree/],
  },
  {
    name: "votes/agree-missing-second",
    files: { "a.jsonl": `${battle("a", "b")}\n` },
    args: ["agree", "{d}/a.jsonl", "{d}/b.jsonl"],
    code: 2,
    expect: ["{d}/b.jsonl"],
  },
  {
    name: "votes/rank-human-without-judge",
    files: { "h.jsonl": `${battle("a", "b")}\n` },
    args: ["rank", "--human", "{d}/h.jsonl"],
    code: 2,
    expect: ["--judge"],
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Prompt sets, answers, labeling.

const promptSet = (prompts: unknown[], meta: Record<string, unknown> = {}) =>
  stringify({ name: "set1", ...meta, prompts });
const P1 = { id: "p1", category: "coding", turns: ["Write hello world."] };
const promptCase = (name: string, text: string | Buffer | null, expect: Array<string | RegExp>, file = "set.yaml") =>
  add({
    name: `prompts/${name}`,
    files: { [file]: text },
    args: ["prompts", "check", `{d}/${file}`],
    code: 2,
    expect: [file, ...expect],
  });
promptCase("directory-without-sets", null, []);
promptCase("yaml-syntax", "prompts:\n  - id: [p1\n", [/line \d/]);
promptCase("no-prompts", stringify({ name: "set1", prompts: [] }), ["prompts"]);
promptCase("unknown-key", promptSet([{ ...P1, answer: "x" }]), ["answer"]);
promptCase("empty-turn", promptSet([{ ...P1, turns: [""] }]), ["turns"]);
promptCase("bad-category", promptSet([{ ...P1, category: "Coding Tasks" }]), ["category"]);
promptCase("bad-id", promptSet([{ ...P1, id: "has space" }]), ["id"]);
promptCase("duplicate-id", promptSet([P1, { ...P1, turns: ["again"] }]), ["p1", /twice|duplicate/]);
// Issue 19 item 13: a reference longer than the turns was accepted.
promptCase("reference-longer-than-turns", promptSet([{ ...P1, reference: ["a", "b", "c"] }]), [
  "reference",
  /3 .*1 turn|turns/,
]);
promptCase("binary", Buffer.from([0x00, 0x9c, 0xff, 0x80]), []);
promptCase(
  "invalid-utf8",
  Buffer.concat([
    Buffer.from("name: set1\nprompts:\n  - id: p1\n    category: coding\n    turns: [caf"),
    Buffer.from([0xe9]),
    Buffer.from("]\n"),
  ]),
  ["UTF-8", "line 5"],
);
promptCase(
  "alias-bomb",
  `name: set1\na: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nprompts: [*g]\n`,
  [],
);
promptCase(
  "jsonl-malformed",
  `{"id": "p1", "category": "coding", "turns": ["hi"]}\n{"id": "p2",\n`,
  ["line 2"],
  "set.jsonl",
);
promptCase(
  "jsonl-nul-in-turn",
  `{"id": "p1", "category": "coding", "turns": ["hi\\u0000there"]}\n`,
  ["line 1"],
  "set.jsonl",
);
add(
  { name: "prompts/missing-path", args: ["prompts", "check", "{d}/nope.yaml"], code: 2, expect: ["{d}/nope.yaml"] },
  {
    name: "prompts/import-bad-format-flag",
    files: { "set.yaml": promptSet([P1]) },
    args: ["prompts", "import", "{d}/set.yaml", "--format", "csv"],
    code: 2,
    expect: ["--format"],
  },
  {
    name: "prompts/import-out-is-directory",
    files: { "set.yaml": promptSet([P1]), "out.jsonl": null },
    args: ["prompts", "import", "{d}/set.yaml", "--out", "{d}/out.jsonl"],
    code: 2,
    expect: ["{d}/out.jsonl", "--out"],
  },
);

const withSet = (secret: boolean) => async (c: CaseContext & { d: string }) => {
  const { runCaptured } = await import("./cli.ts");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(`${c.d}/set.yaml`, promptSet([P1, { ...P1, id: "p2" }]));
  const r = await runCaptured([
    "--db",
    `${c.d}/m.db`,
    "prompts",
    "import",
    `${c.d}/set.yaml`,
    ...(secret ? ["--secret"] : []),
  ]);
  if (r.code !== 0) throw new Error(`setup failed: ${r.err}`);
};
// Issue 19 item 11: `label create` on a secret set exited 1.
add(
  {
    name: "label/create-on-secret-set",
    setup: withSet(true),
    args: ["label", "create", "--name", "c1", "--prompts", "set1", "--models", "a,b"],
    code: 2,
    expect: ["set1", "secret"],
  },
  {
    name: "label/create-unknown-set",
    args: ["label", "create", "--name", "c1", "--prompts", "nope", "--models", "a,b"],
    code: 2,
    expect: ["nope"],
  },
  {
    name: "label/create-one-model",
    setup: withSet(false),
    args: ["label", "create", "--name", "c1", "--prompts", "set1", "--models", "a"],
    code: 2,
    expect: [/two models/],
  },
  {
    name: "label/create-no-answers",
    setup: withSet(false),
    args: ["label", "create", "--name", "c1", "--prompts", "set1", "--models", "a,b"],
    code: 2,
    expect: [/answer/],
  },
  {
    name: "label/create-gold-missing",
    setup: withSet(false),
    args: ["label", "create", "--name", "c1", "--prompts", "set1", "--models", "a,b", "--gold", "{d}/gold.jsonl"],
    code: 2,
    expect: ["{d}/gold.jsonl"],
  },
  {
    name: "label/create-gold-malformed",
    setup: withSet(false),
    files: { "gold.jsonl": '{"prompt_id": "p1", "model_a": "a",\n' },
    args: ["label", "create", "--name", "c1", "--prompts", "set1", "--models", "a,b", "--gold", "{d}/gold.jsonl"],
    code: 2,
    expect: ["gold.jsonl", "line 1"],
  },
  { name: "label/export-unknown", args: ["label", "export", "nope"], code: 2, expect: ["nope"] },
  { name: "label/quality-unknown", args: ["label", "quality", "nope"], code: 2, expect: ["nope"] },
  {
    name: "answers/import-missing-file",
    setup: withSet(false),
    args: ["answers", "import", "{d}/nope.jsonl", "--prompts", "set1"],
    code: 2,
    expect: ["{d}/nope.jsonl"],
  },
  {
    name: "answers/import-unknown-set",
    files: { "a.jsonl": `${JSON.stringify({ question_id: "p1", model_id: "a", choices: [{ turns: ["x"] }] })}\n` },
    args: ["answers", "import", "{d}/a.jsonl", "--prompts", "nope"],
    code: 2,
    expect: ["nope"],
  },
  {
    name: "answers/import-malformed-row",
    setup: withSet(false),
    files: {
      "a.jsonl": `${JSON.stringify({ question_id: "p1", model_id: "a", choices: [{ turns: ["x"] }] })}\n{"question_id": "p2",\n`,
    },
    args: ["answers", "import", "{d}/a.jsonl", "--prompts", "set1"],
    code: 2,
    expect: ["a.jsonl", "line 2"],
  },
  {
    name: "answers/import-unknown-question",
    setup: withSet(false),
    files: { "a.jsonl": `${JSON.stringify({ question_id: "zzz", model_id: "a", choices: [{ turns: ["x"] }] })}\n` },
    args: ["answers", "import", "{d}/a.jsonl", "--prompts", "set1"],
    code: 2,
    expect: ["a.jsonl", "zzz"],
  },
  {
    name: "answers/import-nul-model",
    setup: withSet(false),
    files: {
      "a.jsonl": `${JSON.stringify({ question_id: "p1", model_id: "a\u0000b", choices: [{ turns: ["x"] }] })}\n`,
    },
    args: ["answers", "import", "{d}/a.jsonl", "--prompts", "set1"],
    code: 2,
    expect: ["a.jsonl", "line 1", "model_id"],
  },
  {
    name: "generate/unknown-set",
    args: ["generate", "--models", "toy@{url}", "--prompts", "nope"],
    code: 2,
    expect: ["nope"],
  },
  {
    name: "generate/model-ref-without-path",
    setup: withSet(false),
    args: ["generate", "--models", "toy@http://127.0.0.1:9", "--prompts", "set1"],
    code: 2,
    expect: ["/v1"],
  },
  {
    name: "judge/unknown-judge",
    setup: withSet(false),
    args: ["judge", "--judge", "nobody", "--prompts", "set1", "--models", "a,b", "--config", "{d}/none.yaml"],
    code: 2,
    expect: ["none.yaml"],
  },
);

// ---------------------------------------------------------------------------------------------------------------
// A/B experiments and public tables.

const EXP = {
  experiment: "e1",
  start: "2025-03-01",
  end: "2025-03-14",
  category: "coding",
  metric: "task_success",
  kind: "proportion",
  variants: [
    { name: "control", model: "a", units: 1000, successes: 400 },
    { name: "b", model: "b", units: 1000, successes: 450 },
  ],
};
const abCase = (name: string, text: string | Buffer | null, expect: Array<string | RegExp>, file = "ab.jsonl") =>
  add({
    name: `ab/${name}`,
    files: { [file]: text },
    args: ["ab", "import", `{d}/${file}`],
    code: 2,
    expect: [file, ...expect],
  });
abCase("directory", null, ["directory"]);
abCase("malformed-json", `${JSON.stringify(EXP)}\n{"experiment": "e2",\n`, ["line 2"]);
abCase("end-before-start", JSON.stringify({ ...EXP, end: "2025-02-01" }), ["line 1", "end"]);
abCase(
  "successes-over-units",
  JSON.stringify({ ...EXP, variants: [EXP.variants[0], { ...EXP.variants[1], successes: 5000 }] }),
  ["line 1", "successes"],
);
abCase("one-variant", JSON.stringify({ ...EXP, variants: [EXP.variants[0]] }), ["line 1", "variants"]);
abCase("bad-date", JSON.stringify({ ...EXP, start: "yesterday" }), ["line 1", "start"]);
abCase("negative-units", JSON.stringify({ ...EXP, variants: [{ ...EXP.variants[0], units: -5 }, EXP.variants[1]] }), [
  "line 1",
  "units",
]);
abCase(
  "csv-ragged",
  "experiment,start,end,category,metric,kind,variant,model,units,successes\ne1,2025-03-01\n",
  ["line 2"],
  "ab.csv",
);
abCase("invalid-utf8", Buffer.concat([Buffer.from('{"experiment": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]), [
  "UTF-8",
]);
add(
  {
    name: "map/unknown-kind",
    files: { "t.csv": "a,b\n1,2\n" },
    args: ["map", "import", "leaderboard-x", "{d}/t.csv"],
    code: 2,
    expect: ["leaderboard-x"],
  },
  { name: "map/missing-file", args: ["map", "import", "arena", "{d}/nope.csv"], code: 2, expect: ["{d}/nope.csv"] },
  {
    name: "map/directory",
    files: { "t.csv": null },
    args: ["map", "import", "arena", "{d}/t.csv"],
    code: 2,
    expect: ["{d}/t.csv"],
  },
  {
    name: "map/empty-file",
    files: { "t.csv": "" },
    args: ["map", "import", "arena", "{d}/t.csv"],
    code: 2,
    expect: ["t.csv"],
  },
  {
    name: "map/wrong-columns",
    files: { "t.csv": "colour,size\nred,3\n" },
    args: ["map", "import", "arena", "{d}/t.csv"],
    code: 2,
    expect: ["t.csv", /column/],
  },
  {
    name: "map/binary",
    files: { "t.csv": Buffer.from([0x00, 0xff, 0x9c, 0x80]) },
    args: ["map", "import", "open-llm-leaderboard", "{d}/t.csv"],
    code: 2,
    expect: ["t.csv"],
  },
  {
    name: "meta/unknown-reference",
    args: ["meta", "--reference", "nowhere/metric"],
    code: 2,
    expect: ["nowhere/metric"],
  },
  {
    name: "meta/out-is-directory",
    files: { "out.json": null },
    args: ["meta", "--reference", "arena", "--out", "{d}/out.json"],
    code: 2,
    expect: ["{d}/out.json"],
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Chat templates from the command line.

const tmplModel = (t: Record<string, unknown>) =>
  stringify({ models: [{ id: "m", backend: "openai", endpoints: "http://127.0.0.1:9/v1", template: t }] });
const renderArgs = [
  "template",
  "render",
  "--model",
  "m",
  "--messages",
  "{d}/msgs.json",
  "--config",
  "{d}/modelmap.yaml",
];
const MSGS = JSON.stringify([{ role: "user", content: "hi" }]);
add(
  {
    name: "template/messages-missing",
    files: { "modelmap.yaml": tmplModel({ source: "named", name: "chatml" }) },
    args: renderArgs,
    code: 2,
    expect: ["msgs.json"],
  },
  {
    name: "template/messages-malformed",
    files: {
      "modelmap.yaml": tmplModel({ source: "named", name: "chatml" }),
      "msgs.json": '[{"role": "user", "content": "hi"',
    },
    args: renderArgs,
    code: 2,
    expect: ["msgs.json"],
  },
  {
    name: "template/messages-bad-role",
    files: {
      "modelmap.yaml": tmplModel({ source: "named", name: "chatml" }),
      "msgs.json": JSON.stringify([{ role: "wizard", content: "hi" }]),
    },
    args: renderArgs,
    code: 2,
    expect: ["msgs.json", "role"],
  },
  {
    name: "template/messages-directory",
    files: { "modelmap.yaml": tmplModel({ source: "named", name: "chatml" }), "msgs.json": null },
    args: renderArgs,
    code: 2,
    expect: ["msgs.json", "directory"],
  },
  {
    name: "template/tokenizer-config-loop",
    files: {
      "modelmap.yaml": tmplModel({ source: "tokenizer_config", path: "tok.json" }),
      "tok.json": JSON.stringify({ chat_template: "{% for i in range(1000000000) %}x{% endfor %}" }),
      "msgs.json": MSGS,
    },
    args: renderArgs,
    code: 2,
    expect: ["tok.json", /limit/],
  },
  {
    name: "template/tokenizer-config-syntax",
    files: {
      "modelmap.yaml": tmplModel({ source: "tokenizer_config", path: "tok.json" }),
      "tok.json": JSON.stringify({ chat_template: "{% for m in messages %}{{ m.content }" }),
      "msgs.json": MSGS,
    },
    args: renderArgs,
    code: 2,
    expect: ["tok.json", /line \d/],
  },
  {
    name: "template/tokenizer-config-not-json",
    files: {
      "modelmap.yaml": tmplModel({ source: "tokenizer_config", path: "tok.json" }),
      "tok.json": "chat_template: yaml?",
      "msgs.json": MSGS,
    },
    args: renderArgs,
    code: 2,
    expect: ["tok.json"],
  },
  {
    name: "template/system-preset-unknown",
    files: { "modelmap.yaml": tmplModel({ source: "named", name: "chatml" }), "msgs.json": MSGS },
    args: [...renderArgs, "--system-preset", "nope"],
    code: 2,
    expect: ["nope"],
  },
);

// ---------------------------------------------------------------------------------------------------------------
// Servers. Issue 19 item 13: `npm start` on a busy port failed with EADDRINUSE after the whole evaluation.

add(
  { name: "serve/port-busy", args: ["serve", "--port", "{busy}"], code: 2, expect: ["{busy}", "--port"] },
  {
    name: "serve/port-busy-bin",
    args: ["serve", "--port", "{busy}"],
    code: 2,
    expect: ["{busy}", "--port"],
    bin: true,
  },
  {
    name: "start/port-busy-before-work",
    args: ["start", "--port", "{busy}", "--limit", "2"],
    code: 2,
    expect: ["{busy}", "--port"],
    limitMs: 30_000,
    check: (_c, r) => {
      if (/evaluat|summary|requests/i.test(r.out))
        throw new Error(`start worked before checking the port: ${r.out.slice(0, 300)}`);
    },
  },
  {
    name: "serve/host-bad",
    args: ["serve", "--host", "not a host!", "--port", "0"],
    code: 2,
    expect: ["--host"],
    limitMs: 30_000,
  },
  {
    name: "serve-model/missing-file",
    args: ["serve-model", "{d}/nope.gguf", "--port", "0"],
    code: 2,
    expect: ["{d}/nope.gguf"],
  },
  {
    name: "serve-model/port-busy",
    args: ["serve-model", "{model}", "--port", "{busy}"],
    code: 2,
    expect: ["{busy}", "--port"],
  },
  {
    name: "serve-model/template-unknown",
    args: ["serve-model", "{model}", "--port", "0", "--template", "named:nope"],
    code: 2,
    expect: ["nope"],
  },
  { name: "start/zoo-missing", args: ["start", "--zoo", "{d}/nozoo", "--no-serve"], code: 2, expect: ["{d}/nozoo"] },
  {
    name: "start/zoo-manifest-broken",
    files: { "zoo/manifest.json": "{ not json" },
    args: ["start", "--zoo", "{d}/zoo", "--no-serve"],
    code: 2,
    expect: ["manifest.json"],
  },
);

// A file name that is no valid model id ('^', spaces) used to reach the config schema as a raw zod error.
add({
  name: "gguf/odd-file-name-with-chat-template",
  files: { ...mc({}), "my model^2.gguf": (c) => readFileSync(c.model) },
  args: [
    "eval",
    "--gguf",
    "{d}/my model^2.gguf",
    "--chat-template",
    "--tasks",
    "bad_mc",
    "--tasks-dir",
    "{d}/tasks",
    "--data-dir",
    "{d}/data",
    "--limit",
    "1",
    "--threads",
    "1",
    "--quiet",
  ],
  code: 0,
  expect: [],
  stdout: [/bad_mc/],
});

export const BAD_INPUT_CASES: readonly Case[] = cases;
