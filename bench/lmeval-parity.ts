/**
 * lm-eval parity report (issue 12): for every golden file in ../shared/data/lmeval_golden (requests recorded from
 * lm-evaluation-harness's own code), how many of modelmap's request lines are byte-identical, built (1) from
 * lm-eval's unchanged task files (the unpacked lm_eval_tasks tarball) and (2) from modelmap's shipped tasks; then
 * how much of lm-eval's whole task tree loads (`modelmap tasks validate` on it), and the time both take.
 * A golden task whose lm-eval YAML needs a `!function` hook without a native version is reported as pending.
 *
 * Run: npx tsx bench/lmeval-parity.ts
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistry } from "../src/runner/service.ts";
import { loadDatasetMaps } from "../src/tasks/dataset-map.ts";
import { TaskRegistry } from "../src/tasks/loader.ts";
import { formatRequestLine, taskRequests } from "../src/tasks/requests.ts";

const DATA = join(import.meta.dirname, "..", "..", "shared", "data");
const GOLDEN = join(DATA, "lmeval_golden");
const V1_MAP = join(import.meta.dirname, "..", "test", "fixtures", "dataset-map-truthfulqa-v1.yaml");
const SHIPPED: Record<string, string> = {
  gsm8k: "gsm8k",
  mmlu_abstract_algebra: "mmlu_abstract_algebra",
  arc_challenge: "arc_challenge",
  winogrande: "winogrande",
  truthfulqa_mc1: "truthfulqa_mc1",
  truthfulqa_mc2: "truthfulqa_mc2",
  bbh_zeroshot_boolean_expressions: "bbh_boolean_expressions",
  bbh_zeroshot_causal_judgement: "bbh_causal_judgement",
  bbh_zeroshot_date_understanding: "bbh_date_understanding",
};

const dir = mkdtempSync(join(tmpdir(), "mm-parity-"));
execFileSync("tar", ["-xzf", join(DATA, "lm_eval_tasks", "lm_eval_tasks.tar.gz"), "-C", dir]);
const tree = join(dir, "lm_eval", "tasks");

let t0 = performance.now();
const whole = TaskRegistry.load([tree]);
const loadMs = performance.now() - t0;
const shipped = loadRegistry();

const files = [
  ...readdirSync(GOLDEN).filter((f) => f.endsWith(".jsonl")),
  ...readdirSync(join(GOLDEN, "hf_exact")).map((f) => `hf_exact/${f}`),
].sort();

/** identical/total of modelmap's lines against the golden ones; the task name is compared as given. */
async function compare(reg: TaskRegistry, task: string, file: string, rename?: string): Promise<string> {
  const lines = readFileSync(join(GOLDEN, file), "utf8")
    .split("\n")
    .filter((l) => l);
  const first = JSON.parse(lines[0] as string) as { num_fewshot: number };
  const p = reg.problemFor(task);
  if (p) return p.reason === "hook" ? "pending a native hook" : `refused (${p.reason})`;
  const t = reg.tasks.get(task);
  if (!t) return "-";
  const maps = file.startsWith("truthfulqa_") ? [V1_MAP] : [];
  const ctx = { dataDir: DATA, datasetMap: loadDatasetMaps(DATA, maps) };
  const mine: string[] = [];
  const prompt = { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234, numFewshot: first.num_fewshot };
  for await (const l of taskRequests(t, ctx, prompt, 20))
    mine.push(formatRequestLine(rename ? { ...l, task: rename } : l));
  const same = lines.filter((l, i) => mine[i] === l).length;
  return `${same}/${lines.length}${mine.length !== lines.length ? ` (built ${mine.length})` : ""}`;
}

t0 = performance.now();
const rows: string[][] = [["golden file", "lm-eval task files", "shipped task", "shipped task files"]];
for (const f of files) {
  const task = (JSON.parse(readFileSync(join(GOLDEN, f), "utf8").split("\n")[0] as string) as { task: string }).task;
  const s = SHIPPED[task];
  rows.push([f, await compare(whole, task, f), s ?? "-", s ? await compare(shipped, s, f, task) : "-"]);
}
const buildMs = performance.now() - t0;
const w = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i] ?? 0)).join("  "));
console.log(
  "(shipped task files: identical lines with the task renamed to lm-eval's; truthfulqa_mc2's target differs by design)",
);

const kinds = { task: 0, group: 0, template: 0, refused: 0 };
for (const f of whole.files) kinds[f.kind]++;
const reasons = new Map<string, number>();
for (const p of whole.problems) reasons.set(p.reason, (reasons.get(p.reason) ?? 0) + 1);
const hook = reasons.get("hook") ?? 0;
const loaded = kinds.task + kinds.group;
console.log(
  `\nlm_eval/tasks: ${whole.files.length} YAML files; ${kinds.task} tasks + ${kinds.group} groups load, ${kinds.template} include-only templates, ${kinds.refused} refused (${[...reasons].map(([r, n]) => `${r} ${n}`).join(", ")})`,
);
console.log(
  `loaded share of the files whose hooks are implemented or absent: ${loaded}/${loaded + kinds.refused - hook} = ${((100 * loaded) / (loaded + kinds.refused - hook)).toFixed(1)}%`,
);
console.log(
  `time: load the whole tree ${(loadMs / 1000).toFixed(1)} s; build the golden requests ${(buildMs / 1000).toFixed(1)} s`,
);
rmSync(dir, { recursive: true, force: true });
