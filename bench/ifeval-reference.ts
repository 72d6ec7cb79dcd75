/**
 * How closely modelmap's ports of NLTK (Punkt sentences, `word_tokenize`) and langdetect follow the Python
 * originals that IFEval's reference code calls, and how fast they are next to them, on:
 *   - the 541 GPT-4 IFEval responses and their loose variants (2,253 distinct texts), and
 *   - other real model answers: MT-bench (Llama-3-8B-Instruct, 2 x 80 x 2 turns) and Arena-Hard (GPT-4, 500).
 * Prints: texts identical to NLTK (sentences, words); langdetect equal to Python's with the same seed (0); and
 * how often Python's langdetect, unseeded as the reference runs it (modelled by seeds 1..N), disagrees with
 * modelmap's answer. Needs /usr/bin/python3 with python3-nltk and python3-langdetect.
 *
 * Run: nice npx tsx bench/ifeval-reference.ts [N_SEEDS=5]
 */
import { readFileSync } from "node:fs";
import { looseVariants } from "../src/tasks/ifeval/evaluate.ts";
import { detectLanguage, NoFeaturesError } from "../src/tasks/ifeval/langdetect.ts";
import { englishPunkt } from "../src/tasks/ifeval/punkt.ts";
import { wordTokenize } from "../src/tasks/ifeval/word-tokenize.ts";
import {
  nltkTokens,
  pythonLangdetect,
  pythonReferenceMissing,
  sharedDataPath,
} from "../test/support/python-reference.ts";

const nSeeds = Number(process.argv[2] ?? 5);
const missing = pythonReferenceMissing();
if (missing) {
  console.error(missing);
  process.exit(2);
}

const jsonl = (rel: string) =>
  readFileSync(sharedDataPath(rel), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const ifevalTexts = [
  ...new Set(
    jsonl("ifeval/input_response_data_gpt4_20231107_145030.jsonl")
      .flatMap((r) => looseVariants(r["response"] as string))
      .filter((t) => t.trim() !== ""),
  ),
];
type Answer = { choices: Array<{ turns: Array<string | { content: string }> }> };
const otherTexts = [
  ...jsonl("mt_bench/model_answer__Meta-Llama-3-8B-Instruct-Normal.jsonl"),
  ...jsonl("mt_bench/model_answer__Meta-Llama-3-8B-Instruct-Griffin.jsonl"),
  ...jsonl("arena_hard_auto/arena-hard-v0.1_model_answer_gpt-4-0314.jsonl"),
].flatMap((a) =>
  (a as unknown as Answer).choices.flatMap((c) =>
    c.turns.map((t) => (typeof t === "string" ? t : t.content)).filter((t) => typeof t === "string"),
  ),
);

function detect(text: string): string {
  try {
    return detectLanguage(text);
  } catch (e) {
    if (e instanceof NoFeaturesError) return "error";
    throw e;
  }
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
}

for (const [name, texts] of [
  ["IFEval GPT-4 responses + loose variants", ifevalTexts],
  ["MT-bench + Arena-Hard answers", otherTexts],
] as const) {
  const [ours, msOurs] = timed(() => texts.map((t) => ({ s: englishPunkt().tokenize(t), w: wordTokenize(t) })));
  const [nltk, msNltk] = timed(() => nltkTokens(texts));
  let sentences = 0;
  let words = 0;
  texts.forEach((_, i) => {
    if (JSON.stringify(ours[i]?.s) === JSON.stringify(nltk[i]?.sentences)) sentences++;
    if (JSON.stringify(ours[i]?.w) === JSON.stringify(nltk[i]?.words)) words++;
  });
  console.log(`${name}: ${texts.length} texts`);
  console.log(
    `  Punkt sentences identical to NLTK: ${sentences}/${texts.length}; word_tokenize: ${words}/${texts.length}`,
  );
  console.log(
    `  tokenize time: modelmap ${msOurs.toFixed(0)} ms, NLTK (python3, incl. start) ${msNltk.toFixed(0)} ms, ratio ${(msNltk / msOurs).toFixed(1)}x`,
  );
  const [langs, msLangs] = timed(() => texts.map(detect));
  const [py, msPy] = timed(() => pythonLangdetect(texts, nSeeds));
  const same0 = langs.filter((l, i) => l === py[i]?.seed0).length;
  let draws = 0;
  let disagree = 0;
  let unstable = 0;
  py.forEach((p, i) => {
    if (new Set([p.seed0, ...p.seeds]).size > 1) unstable++;
    for (const s of p.seeds) {
      draws++;
      if (s !== langs[i]) disagree++;
    }
  });
  console.log(`  langdetect equal to Python's (seed 0): ${same0}/${texts.length}`);
  console.log(
    `  Python unseeded (seeds 1..${nSeeds}) disagrees with modelmap on ${disagree}/${draws} detections (${((100 * disagree) / draws).toFixed(2)}%); ${unstable} texts change language between seeds`,
  );
  console.log(
    `  langdetect time: modelmap ${msLangs.toFixed(0)} ms, Python ${msPy.toFixed(0)} ms for ${nSeeds + 1} runs, ratio ${(msPy / (nSeeds + 1) / msLangs).toFixed(1)}x per run`,
  );
}
