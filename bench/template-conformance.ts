/**
 * Renders the 36 chat-template cases of llama.cpp's test suite (../shared/data/llamacpp_chat_template_tests)
 * with modelmap's renderer and prints how many match the expected text byte for byte, and why the others
 * differ. Run: npx tsx bench/template-conformance.ts [--verbose]
 */
import { runConformance } from "../src/templates/conformance.ts";

const verbose = process.argv.includes("--verbose");
const report = runConformance();
for (const c of report.cases) {
  const mark = c.status === "match" ? "ok  " : c.status === "skipped" ? "skip" : "DIFF";
  console.log(`${mark} ${c.name}${c.adjustments.length ? ` [${c.adjustments.join(", ")}]` : ""}`);
  if (c.status !== "match") console.log(`     ${c.reason}`);
  if (verbose && c.status === "differ" && c.firstDifference) console.log(`     ${c.firstDifference}`);
}
const s = report.summary;
console.log(
  `\n${s.match}/${s.total} cases match llama.cpp's expected Jinja output byte for byte` +
    ` (${s.matchWithoutAdjustments} without the system-role merge, ${s.differ} differ, ${s.skipped} skipped)`,
);
