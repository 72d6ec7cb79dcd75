/**
 * Runs the Python reference code (lm-eval's IFEval and MATH modules, NLTK, langdetect) through `/usr/bin/python3`
 * and the scripts in `tools/ifeval/` and `tools/math/`, for the tests and benchmarks that compare modelmap's ports with it. Nothing in
 * the product calls this.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sharedData } from "./shared-data.ts";

const PYTHON = "/usr/bin/python3";
const ROOT = resolve(import.meta.dirname, "../..");
const TOOLS = join(ROOT, "tools");
export const PUNKT_PARAMS = join(ROOT, "src/tasks/ifeval/data/punkt-english.json");

/** A file of the shared public data (fails loudly when missing). */
export function sharedDataPath(rel: string): string {
  return sharedData(...rel.split("/"));
}

/** Why the Python reference cannot run here (missing python3 or a module), or undefined when it can. */
export function pythonReferenceMissing(modules: readonly string[] = ["nltk", "langdetect"]): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing (apt-get install python3)`;
  const probe = spawnSync(PYTHON, ["-c", modules.map((m) => `import ${m}`).join("; ")], { encoding: "utf8" });
  if (probe.status !== 0)
    return `python3 cannot import ${modules.join(", ")}: ${probe.stderr.trim().split("\n").at(-1)} (apt-get install ${modules
      .map((m) => `python3-${m}`)
      .join(" ")})`;
  return undefined;
}

function runJsonl(script: string, args: string[], input: string): unknown[] {
  const out = execFileSync(PYTHON, [join(TOOLS, script), ...args], {
    input,
    maxBuffer: 1 << 30,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
  });
  return out
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as unknown);
}

const textsJsonl = (texts: readonly string[]) => texts.map((text) => JSON.stringify({ text })).join("\n");

/** lm-eval's own `ifeval/utils.py` verdicts for each response joined to a document by prompt text. */
export function lmevalIfevalVerdicts(
  docsPath: string,
  responsesPath: string,
): Array<{ key: number; prompt: string; strict: boolean[]; loose: boolean[] }> {
  const dir = mkdtempSync(join(tmpdir(), "lmeval-tasks-"));
  execFileSync("tar", [
    "xzf",
    sharedDataPath("lm_eval_tasks/lm_eval_tasks.tar.gz"),
    "-C",
    dir,
    "lm_eval/tasks/ifeval",
    "lm_eval/tasks/leaderboard/ifeval",
  ]);
  return runJsonl(
    "ifeval/lmeval_reference.py",
    [join(dir, "lm_eval/tasks"), docsPath, responsesPath, PUNKT_PARAMS],
    "",
  ) as ReturnType<typeof lmevalIfevalVerdicts>;
}

/** NLTK's Punkt sentences and `word_tokenize` words for each text (same English parameters). */
export function nltkTokens(texts: readonly string[]): Array<{ sentences: string[]; words: string[] }> {
  return runJsonl("ifeval/nltk_reference.py", [PUNKT_PARAMS], textsJsonl(texts)) as ReturnType<typeof nltkTokens>;
}

/** Python langdetect's answer for each text with seed 0 and with seeds 1..nSeeds ("error": no features). */
export function pythonLangdetect(texts: readonly string[], nSeeds = 0): Array<{ seed0: string; seeds: string[] }> {
  return runJsonl("ifeval/langdetect_reference.py", [String(nSeeds)], textsJsonl(texts)) as ReturnType<
    typeof pythonLangdetect
  >;
}

/** lm-eval's `leaderboard/math/utils.py` string functions on each document (see tools/math/minerva_reference.py). */
export function lmevalMathReference(
  docs: ReadonlyArray<Record<string, unknown>>,
): Array<{ answer: string; normalized: string; unnormalized?: string; v1?: number | string }> {
  const dir = mkdtempSync(join(tmpdir(), "lmeval-tasks-"));
  execFileSync("tar", [
    "xzf",
    sharedDataPath("lm_eval_tasks/lm_eval_tasks.tar.gz"),
    "-C",
    dir,
    "lm_eval/tasks/leaderboard/math",
  ]);
  return runJsonl(
    "math/minerva_reference.py",
    [join(dir, "lm_eval/tasks/leaderboard/math/utils.py")],
    docs.map((d) => JSON.stringify(d)).join("\n"),
  ) as ReturnType<typeof lmevalMathReference>;
}
