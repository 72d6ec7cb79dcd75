/**
 * Renders the 36 chat-template cases of llama.cpp's test suite (../shared/data/llamacpp_chat_template_tests)
 * with modelmap's renderer and prints how many match the expected text byte for byte, and why the others
 * differ. Baseline, in the same process: @huggingface/jinja's own Template.render on the same cases (no
 * limits, no system-role merge), for the match count and the cost of the sandbox's bounds.
 * Run: npx tsx bench/template-conformance.ts [--verbose]
 */
import { join } from "node:path";
import { Template } from "@huggingface/jinja";
import { sha256 } from "../src/core/hash.ts";
import { loadConformanceCases, runConformance } from "../src/templates/conformance.ts";
import { renderChat } from "../src/templates/render.ts";

const verbose = process.argv.includes("--verbose");
const dataDir = join(process.cwd(), "..", "shared", "data");
const report = runConformance(dataDir);
for (const c of report.cases) {
  const mark = c.status === "match" ? "ok  " : c.status === "skipped" ? "skip" : "DIFF";
  console.log(`${mark} ${c.name}${c.adjustments.length ? ` [${c.adjustments.join(", ")}]` : ""}`);
  if (c.status !== "match") console.log(`     ${c.reason}`);
  if (verbose && c.status === "differ" && c.firstDifference) console.log(`     ${c.firstDifference}`);
}
const s = report.summary;
console.log(
  `\nmodelmap: ${s.match}/${s.total} cases match llama.cpp's expected Jinja output byte for byte` +
    ` (${s.matchWithoutAdjustments} without the system-role merge, ${s.differ} differ, ${s.skipped} skipped)`,
);

// Baseline: the library's Template.render, as-is.
const data = loadConformanceCases(dataDir);
const jinjaCases = data.cases.filter((c) => c.supported_with_jinja !== false);
const vars = (c: (typeof jinjaCases)[number]) => ({
  messages: data.conversation,
  add_generation_prompt: true,
  bos_token: c.bos_token ?? "",
  eos_token: c.eos_token ?? "",
});
let baselineMatch = 0;
for (const c of jinjaCases) {
  try {
    if (new Template(c.template_str).render(vars(c)) === (c.expected_output_jinja || c.expected_output))
      baselineMatch++;
  } catch {
    // a template that raises (e.g. no system role) counts as a miss
  }
}
console.log(`baseline (@huggingface/jinja Template.render): ${baselineMatch}/${s.total} match`);

// Cost of the bounds: render every case many times, both ways (templates compiled once).
const ROUNDS = 200;
const compiled = jinjaCases.map((c) => new Template(c.template_str));
const time = (f: () => void) => {
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) f();
  return performance.now() - t0;
};
const safe = (f: () => void) => {
  try {
    f();
  } catch {
    // counted in time all the same
  }
};
const resolved = jinjaCases.map((c) => ({
  source: "tokenizer_config" as const,
  name: undefined,
  template: c.template_str,
  hash: sha256(c.template_str),
  origin: c.name,
  bosToken: c.bos_token ?? "",
  eosToken: c.eos_token ?? "",
  stop: [],
}));
const renderOurs = () => {
  for (const t of resolved) safe(() => renderChat(t, data.conversation));
};
const renderBaseline = () => {
  compiled.forEach((t, i) => {
    safe(() => t.render(vars(jinjaCases[i]!)));
  });
};
time(renderOurs); // warm-up (also fills the compile and system-role caches)
time(renderBaseline);
const base = time(renderBaseline);
const ours = time(renderOurs);
const per = (ms: number) => ((ms * 1000) / (ROUNDS * jinjaCases.length)).toFixed(1);
console.log(
  `render time per conversation: modelmap ${per(ours)} us, baseline ${per(base)} us, ratio ${(ours / base).toFixed(2)}x`,
);
