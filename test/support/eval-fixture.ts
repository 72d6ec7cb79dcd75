/**
 * A small benchmark for end-to-end harness tests: a multiple-choice task and a generative task over JSONL data the
 * test writes, grouped under the tag `toy`, plus a tiny real GGUF model.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTinyModel } from "./tiny-model.ts";

export interface EvalFixture {
  dir: string;
  tasksDir: string;
  dataDir: string;
  modelPath: string;
}

export function makeEvalFixture(
  opts: { mcDocs?: number; genDocs?: number; modelSeed?: number; dir?: string } = {},
): EvalFixture {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "mm-e2e-"));
  const tasksDir = join(dir, "tasks");
  const dataDir = join(dir, "data");
  mkdirSync(tasksDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const colors = ["red", "green", "blue", "yellow", "black", "white", "orange", "purple"];
  const mc = Array.from({ length: opts.mcDocs ?? 40 }, (_, i) => {
    const c = colors[i % colors.length] as string;
    const options = [c, colors[(i + 1) % 8], colors[(i + 3) % 8], colors[(i + 5) % 8]];
    return JSON.stringify({ q: `Item ${i} is painted ${c}. What colour is item ${i}?`, options, gold: 0 });
  });
  writeFileSync(join(dataDir, "mc.jsonl"), `${mc.join("\n")}\n`);
  const gen = Array.from({ length: opts.genDocs ?? 6 }, (_, i) =>
    JSON.stringify({ question: `What is ${i} plus ${i}?`, answer: `#### ${2 * i}` }),
  );
  writeFileSync(join(dataDir, "gen.jsonl"), `${gen.join("\n")}\n`);
  writeFileSync(
    join(tasksDir, "toy_mc.yaml"),
    `task: toy_mc
tag: toy
category: [knowledge]
data_files: { test: mc.jsonl, train: mc.jsonl }
test_split: test
fewshot_split: train
output_type: multiple_choice
doc_to_text: "Question: {{q}}\\nAnswer:"
doc_to_choice: options
doc_to_target: gold
num_fewshot: 1
metric_list: [{ metric: acc }, { metric: acc_norm }]
primary_metric: acc_norm
`,
  );
  writeFileSync(
    join(tasksDir, "toy_gen.yaml"),
    `task: toy_gen
tag: toy
category: [math]
data_files: gen.jsonl
output_type: generate_until
doc_to_text: "Question: {{question}}\\nAnswer:"
doc_to_target: "{{answer}}"
generation_kwargs: { until: ["Question:", "\\n\\n"], max_gen_toks: 6 }
filter_list:
  - name: strict-match
    filter: [{ function: regex, regex_pattern: "#### (\\\\-?[0-9]+)" }, { function: take_first }]
  - name: flexible-extract
    filter: [{ function: regex, regex_pattern: "(-?[0-9]+)", group_select: -1 }, { function: take_first }]
metric_list: [{ metric: exact_match, regexes_to_ignore: ["(?s).*#### "] }]
`,
  );
  const model = createTinyModel(join(dir, `tiny-${opts.modelSeed ?? 5}.gguf`), { seed: opts.modelSeed ?? 5 });
  return { dir, tasksDir, dataDir, modelPath: model.path };
}

/** CLI arguments of an eval over the fixture (threads 1: a contended CPU makes llama.cpp's spinning workers crawl). */
export function evalArgs(f: EvalFixture, db: string, extra: string[] = []): string[] {
  return [
    "--db",
    db,
    "eval",
    "--gguf",
    f.modelPath,
    "--threads",
    "1",
    "--tasks",
    "toy",
    "--tasks-dir",
    f.tasksDir,
    "--data-dir",
    f.dataDir,
    "--format",
    "json",
    ...extra,
  ];
}
