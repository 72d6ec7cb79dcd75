import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  lmevalIfevalVerdicts,
  nltkTokens,
  pythonLangdetect,
  pythonReferenceMissing,
  sharedDataPath,
} from "../../../test/support/python-reference.ts";
import { PythonRandom } from "../../core/python-random.ts";
import {
  aggInstLevelAcc,
  followStrict,
  type IfevalDoc,
  IfevalDocSchema,
  ifevalProcessResults,
  looseVariants,
} from "./evaluate.ts";
import { buildInstruction } from "./instructions.ts";
import { detectLanguage, NoFeaturesError } from "./langdetect.ts";
import { englishPunkt } from "./punkt.ts";
import { isLower, isUpper } from "./py-text.ts";
import { wordTokenize } from "./word-tokenize.ts";

const readJsonl = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const DOCS_PATH = sharedDataPath("ifeval/input_data.jsonl");
const RESPONSES_PATH = sharedDataPath("ifeval/input_response_data_gpt4_20231107_145030.jsonl");
const STRICT_PATH = sharedDataPath("ifeval/eval_results_strict.jsonl");
const docs: IfevalDoc[] = readJsonl(DOCS_PATH).map((d) => IfevalDocSchema.parse(d));
const docByPrompt = new Map(docs.map((d) => [d.prompt, d]));
const responses = readJsonl(RESPONSES_PATH) as Array<{ prompt: string; response: string }>;
const reference = readJsonl(STRICT_PATH) as Array<{
  prompt: string;
  response: string;
  follow_all_instructions: boolean;
  follow_instruction_list: boolean[];
}>;

const pythonMissing = pythonReferenceMissing();

test("strict verdicts equal the reference code's on every instruction but the two it drew at random", () => {
  let prompts = 0;
  let promptsAgree = 0;
  let instructions = 0;
  let instructionsAgree = 0;
  const disagree: string[] = [];
  for (const row of reference) {
    const doc = docByPrompt.get(row.prompt);
    assert.ok(doc, `reference row without a prompt in input_data.jsonl: ${row.prompt.slice(0, 60)}`);
    const out = followStrict(doc, row.response, new PythonRandom(0));
    prompts++;
    if (out.follow_all_instructions === row.follow_all_instructions) promptsAgree++;
    out.follow_instruction_list.forEach((v, i) => {
      instructions++;
      if (v === row.follow_instruction_list[i]) instructionsAgree++;
      else disagree.push(`${doc.key}:${doc.instruction_id_list[i]}:${JSON.stringify(doc.kwargs[i])}`);
    });
  }
  assert.equal(prompts, 540);
  assert.equal(instructions, 832);
  // The reference draws a random letter for a letter_frequency instruction whose letter is not a-z
  // (`random.choice(string.ascii_letters)`, unseeded in Google's run); lm-eval seeds it with 0.
  assert.deepEqual(disagree, [
    '1122:keywords:letter_frequency:{"let_relation":"at least","letter":"#","let_frequency":4}',
    '1129:keywords:letter_frequency:{"let_relation":"at least","letter":"!","let_frequency":6}',
  ]);
  assert.equal(instructionsAgree, 830);
  assert.equal(promptsAgree, 538);
  // Both reference verdicts are ones some random letter gives: the two are draws, not rules we miss.
  for (const key of [1122, 1129]) {
    const doc = docs.find((d) => d.key === key) as IfevalDoc;
    const row = reference.find((r) => r.prompt === doc.prompt);
    const i = doc.instruction_id_list.indexOf("keywords:letter_frequency");
    const verdicts = new Set(
      Array.from("abcdefghijklmnopqrstuvwxyz").map((letter) =>
        buildInstruction(
          doc.instruction_id_list[i] as string,
          { ...doc.kwargs[i], letter },
          new PythonRandom(0),
        )(row?.response ?? ""),
      ),
    );
    assert.ok(verdicts.has(row?.follow_instruction_list[i] as boolean));
  }
});

test("strict and loose verdicts equal lm-eval's utils.py run unchanged in Python, at both levels", (t) => {
  if (pythonMissing) return t.skip(pythonMissing);
  const python = lmevalIfevalVerdicts(DOCS_PATH, RESPONSES_PATH);
  const responseByPrompt = new Map(responses.map((r) => [r.prompt, r.response]));
  // Joined by prompt, as the reference joins: 540 of 541 (key 2785's response has an older prompt text).
  assert.equal(python.length, 540);
  const agree = { strictPrompt: 0, loosePrompt: 0, strictInst: 0, looseInst: 0, inst: 0 };
  for (const row of python) {
    const doc = docByPrompt.get(row.prompt) as IfevalDoc;
    const ours = ifevalProcessResults(doc, responseByPrompt.get(row.prompt) as string);
    if (ours.prompt_level_strict_acc === row.strict.every(Boolean)) agree.strictPrompt++;
    if (ours.prompt_level_loose_acc === row.loose.every(Boolean)) agree.loosePrompt++;
    row.strict.forEach((v, i) => {
      agree.inst++;
      if (v === ours.inst_level_strict_acc[i]) agree.strictInst++;
      if (row.loose[i] === ours.inst_level_loose_acc[i]) agree.looseInst++;
    });
  }
  assert.deepEqual(agree, { strictPrompt: 540, loosePrompt: 540, strictInst: 832, looseInst: 832, inst: 832 });
});

test("verdicts equal lm-eval's Python on responses paired with the wrong prompts (mostly not followed)", (t) => {
  if (pythonMissing) return t.skip(pythonMissing);
  // Each prompt gets the next prompt's GPT-4 response: verdicts mix far more failures than the real pairs.
  const file = join(mkdtempSync(join(tmpdir(), "ifeval-shifted-")), "shifted.jsonl");
  const shifted = docs.map((d, i) => ({
    prompt: d.prompt,
    response: (responses[(i + 1) % responses.length] as { response: string }).response,
  }));
  writeFileSync(file, shifted.map((r) => JSON.stringify(r)).join("\n"));
  const python = lmevalIfevalVerdicts(DOCS_PATH, file);
  assert.equal(python.length, 541);
  let same = 0;
  let n = 0;
  python.forEach((row, i) => {
    const ours = ifevalProcessResults(docs[i] as IfevalDoc, (shifted[i] as { response: string }).response);
    row.strict.forEach((v, j) => {
      n++;
      if (v === ours.inst_level_strict_acc[j] && row.loose[j] === ours.inst_level_loose_acc[j]) same++;
    });
  });
  assert.equal(n, 834);
  assert.equal(same, 834);
});

test("lm-eval's aggregation over the GPT-4 responses", () => {
  const results = reference.map((r) => ifevalProcessResults(docByPrompt.get(r.prompt) as IfevalDoc, r.response));
  const mean = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
  // The reference's own run: 415/540 and 695/832 strict; ours differs by the two random letters above.
  assert.equal(
    results.filter((r) => r.prompt_level_strict_acc).length,
    reference.filter((r) => r.follow_all_instructions).length + 2,
  );
  assert.equal(mean(results.map((r) => r.prompt_level_strict_acc)), 417 / 540);
  assert.equal(aggInstLevelAcc(results.map((r) => r.inst_level_strict_acc)), 697 / 832);
  assert.ok(mean(results.map((r) => r.prompt_level_loose_acc)) >= mean(results.map((r) => r.prompt_level_strict_acc)));
});

/** The distinct GPT-4 responses (bench/ifeval-reference.ts also compares their loose variants: 2,253 texts). */
const allTexts = [...new Set(responses.map((r) => r.response))];

test("Punkt sentences and word_tokenize equal NLTK's on every GPT-4 response", (t) => {
  if (pythonMissing) return t.skip(pythonMissing);
  const nltk = nltkTokens(allTexts);
  let sentencesSame = 0;
  let wordsSame = 0;
  allTexts.forEach((text, i) => {
    if (JSON.stringify(englishPunkt().tokenize(text)) === JSON.stringify(nltk[i]?.sentences)) sentencesSame++;
    if (JSON.stringify(wordTokenize(text)) === JSON.stringify(nltk[i]?.words)) wordsSame++;
  });
  assert.equal(allTexts.length, 536); // 541 responses, 5 of them repeated
  assert.equal(sentencesSame, allTexts.length);
  assert.equal(wordsSame, allTexts.length);
});

test("langdetect equals Python's langdetect (seed 0) on every text IFEval sends to it", (t) => {
  if (pythonMissing) return t.skip(pythonMissing);
  const languagePrompts = new Set(
    docs
      .filter((d) =>
        d.instruction_id_list.some((id) =>
          ["language:response_language", "change_case:english_capital", "change_case:english_lowercase"].includes(id),
        ),
      )
      .map((d) => d.prompt),
  );
  const texts = [
    ...new Set(
      responses
        .filter((r) => languagePrompts.has(r.prompt))
        .flatMap((r) => looseVariants(r.response))
        .filter((v) => v.trim() !== ""),
    ),
  ];
  const python = pythonLangdetect(texts);
  const ours = texts.map((text) => {
    try {
      return detectLanguage(text);
    } catch (e) {
      if (e instanceof NoFeaturesError) return "error";
      throw e;
    }
  });
  assert.ok(texts.length > 300);
  assert.deepEqual(
    ours,
    python.map((p) => p.seed0),
  );
});

test("Python's str and re semantics where JavaScript differs", () => {
  const rng = () => new PythonRandom(0);
  // \b is Unicode-aware: "café" is one word, so "caf" is not forbidden in it.
  assert.equal(buildInstruction("keywords:forbidden_words", { forbidden_words: ["caf"] }, rng())("un café"), true);
  assert.equal(buildInstruction("keywords:forbidden_words", { forbidden_words: ["café"] }, rng())("un CAFÉ!"), false);
  // json.loads accepts NaN and Infinity, rejects a trailing comma.
  const json = buildInstruction("detectable_format:json_format", {}, rng());
  assert.equal(json('```json\n{"a": NaN, "b": -Infinity}\n```'), true);
  assert.equal(json('{"a": 1,}'), false);
  assert.equal(json('{"a": "tab\there"}'), false);
  // isupper/islower need a cased character.
  assert.equal(isUpper("123 !"), false);
  assert.equal(isUpper("ÉTÉ 2024"), true);
  assert.equal(isLower("ǅ"), false);
  // `$` in MULTILINE mode ends a line only at "\n": a bullet line ending in "\r" still counts once.
  assert.equal(
    buildInstruction("detectable_format:number_bullet_lists", { num_bullets: 2 }, rng())("* a\r\n- b"),
    true,
  );
  // Sections: the marker may be glued to the text, and Unicode digits count.
  assert.equal(
    buildInstruction(
      "detectable_format:multiple_sections",
      { section_spliter: "Section", num_sections: 2 },
      rng(),
    )("intro Section 1 a Section٢ b"),
    true,
  );
  // Unknown arguments are errors (Python raises TypeError); falsy ones are dropped as lm-eval drops them.
  assert.throws(() => buildInstruction("punctuation:no_comma", { comma: 1 }, rng()), /unexpected keyword argument/);
  assert.equal(buildInstruction("punctuation:no_comma", { comma: null, other: 0 }, rng())("no commas"), true);
});

test("a missing count is drawn as the reference draws it, from Python's generator", () => {
  // random.seed(0); random.randint(1, 4) == 4 in CPython 3.
  const check = buildInstruction("detectable_content:number_placeholders", {}, new PythonRandom(0));
  assert.equal(check("[a] [b] [c]"), false);
  assert.equal(check("[a] [b] [c] [d]"), true);
});
