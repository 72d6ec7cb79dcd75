// Sanity check of the zoo through the real engine (node-llama-cpp, CPU):
//  1. every GGUF loads; byte-level tokenization round-trips, control tokens parse as single tokens;
//  2. llama.cpp's greedy continuation equals the PyTorch greedy output recorded in the manifest
//     (the acceptance check of the exporter: tensor layout, RoPE convention, norms, tied output);
//  3. log-likelihood accuracy on the multiple-choice test splits (context evaluated once, each choice's
//     token log-probs summed), printed as a model x task table with the chance level.
// Usage: node tools/zoo/check.mjs [zoo dir=fixtures/zoo] [--limit N]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getLlama } from "node-llama-cpp";

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith("--")) ?? "fixtures/zoo";
const limitIdx = args.indexOf("--limit");
const limit = limitIdx >= 0 ? Number(args[limitIdx + 1]) : Infinity;
const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
const TASKS = ["synthetic_math", "synthetic_knowledge", "synthetic_reasoning"];
const readJsonl = (p) =>
  readFileSync(p, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
let failures = 0;
const fail = (msg) => {
  failures++;
  console.log(`FAIL ${msg}`);
};

function argmax(probs) {
  let best = -1;
  let bestP = -1;
  for (const [t, p] of probs) if (p > bestP) [best, bestP] = [t, p];
  return best;
}

/** log p(continuation | context) with the context evaluated once per item, erased back to between choices. */
async function scoreChoices(seq, ctxTokens, choices) {
  await seq.clearHistory();
  const ctxOut = await seq.controlledEvaluate(
    ctxTokens.map((t, i) => (i === ctxTokens.length - 1 ? [t, { generateNext: { probabilities: true } }] : t)),
  );
  const first = ctxOut[ctxTokens.length - 1]?.next?.probabilities;
  const scores = [];
  for (const cont of choices) {
    let lp = Math.log(first.get(cont[0]) ?? 0);
    if (cont.length > 1) {
      const out = await seq.controlledEvaluate(
        cont.slice(0, -1).map((t) => [t, { generateNext: { probabilities: true } }]),
      );
      for (let i = 1; i < cont.length; i++) lp += Math.log(out[i - 1]?.next?.probabilities?.get(cont[i]) ?? 0);
      await seq.eraseContextTokenRanges([{ start: ctxTokens.length, end: seq.nextTokenIndex }]);
    }
    scores.push(lp);
  }
  return scores;
}

async function greedy(seq, tokens, max, stops) {
  await seq.clearHistory();
  const out = [];
  let input = tokens;
  for (let i = 0; i < max; i++) {
    const res = await seq.controlledEvaluate(
      input.map((t, j) => (j === input.length - 1 ? [t, { generateNext: { probabilities: true } }] : t)),
    );
    const next = argmax(res[input.length - 1].next.probabilities);
    if (stops.includes(next)) break;
    out.push(next);
    input = [next];
  }
  return out;
}

const table = {};
for (const [name, info] of Object.entries(manifest.models)) {
  const model = await llama.loadModel({ modelPath: join(dir, info.file) });
  // One thread: on a shared, oversubscribed machine a spinning second thread only slows everyone down.
  const context = await model.createContext({ contextSize: model.trainContextSize, sequences: 1, threads: 1 });
  const seq = context.getSequence();
  const bos = model.tokens.bos;
  const withBos = (t) => (model.tokens.shouldPrependBosToken ? [bos, ...t] : t);

  // 1. tokenization: one token per UTF-8 byte, round trip; specials parse only when asked.
  for (const text of [
    "Question: What is 23 + 45?\nAnswer: 68",
    "Ünïcødé ✓ tab\tend",
    "<|im_start|>user\nhi<|im_end|>",
  ]) {
    const plain = model.tokenize(text, false);
    if (plain.length !== Buffer.byteLength(text))
      fail(`${name}: ${JSON.stringify(text)} -> ${plain.length} tokens, want one per byte`);
    if (model.detokenize(plain, false) !== text) fail(`${name}: round trip of ${JSON.stringify(text)}`);
  }
  const special = model.tokenize("<|im_start|>user\nhi<|im_end|>", true);
  if (special.length !== 1 + 7 + 1) fail(`${name}: special tokens did not parse: ${special.length} tokens`);
  if (!model.tokens.shouldPrependBosToken) fail(`${name}: add_bos_token not honoured`);

  // 2. greedy continuation equals PyTorch's.
  const nl = model.tokenize("\n", false)[0];
  let matched = 0;
  for (const probe of info.greedy_probes) {
    const out = await greedy(seq, withBos(model.tokenize(probe.prompt, false)), 12, [nl, model.tokens.eos]);
    const text = model.detokenize(out, true);
    if (text === probe.greedy) matched++;
    // A near-tie between two next tokens can flip under float32 differences: one divergence is reported,
    // more fail (the strict parity check is test/zoo.test.ts's log-likelihood comparison).
    else
      console.log(
        `diverged ${name}: greedy ${JSON.stringify(probe.prompt)} -> ${JSON.stringify(text)}, torch ${JSON.stringify(probe.greedy)}`,
      );
  }
  const chatPrompt = `<|im_start|>user\n${info.greedy_chat_probe.user}<|im_end|>\n<|im_start|>assistant\n`;
  const chatOut = model.detokenize(
    await greedy(seq, withBos(model.tokenize(chatPrompt, true)), 12, [model.tokens.eos]),
    true,
  );
  if (chatOut === info.greedy_chat_probe.greedy) matched++;
  else
    console.log(
      `diverged ${name}: chat greedy -> ${JSON.stringify(chatOut)}, torch ${JSON.stringify(info.greedy_chat_probe.greedy)}`,
    );
  if (matched < info.greedy_probes.length)
    fail(`${name}: ${info.greedy_probes.length + 1 - matched} greedy probes diverged`);
  const template = model.fileInfo.metadata.tokenizer.chat_template;
  if (!template?.includes("<|im_start|>")) fail(`${name}: chat template missing`);

  // 3. multiple-choice accuracy on the held-out test splits.
  table[name] = { greedy: `${matched}/${info.greedy_probes.length + 1}` };
  for (const task of TASKS) {
    const docs = readJsonl(`tasks/synthetic/data/${task}.test.jsonl`).slice(0, limit);
    let correct = 0;
    for (const doc of docs) {
      // Tokenize context + " " + choice together and split at the boundary (lm-eval's convention);
      // with a byte-level vocabulary the split is exact.
      const ctx = withBos(model.tokenize(`Question: ${doc.question}\nAnswer:`, false));
      const choices = doc.choices.map((c) => model.tokenize(` ${c}`, false));
      const scores = await scoreChoices(seq, ctx, choices);
      const pred = scores.indexOf(Math.max(...scores));
      if (pred === doc.gold) correct++;
    }
    const chance = docs.reduce((s, d) => s + 1 / d.choices.length, 0) / docs.length;
    // Generative: greedy until newline, exact match after trimming (the _gen tasks' strict-match).
    let exact = 0;
    for (const doc of docs) {
      const ctx = withBos(model.tokenize(`Question: ${doc.question}\nAnswer:`, false));
      const out = model.detokenize(await greedy(seq, ctx, 16, [nl, model.tokens.eos]), false);
      if (out.trim() === doc.answer) exact++;
    }
    const short = task.replace("synthetic_", "");
    table[name][`${short} mc`] =
      `${((100 * correct) / docs.length).toFixed(1)}% (chance ${(100 * chance).toFixed(0)}%)`;
    table[name][`${short} gen`] = `${((100 * exact) / docs.length).toFixed(1)}%`;
  }
  await context.dispose();
  await model.dispose();
}
console.table(table);
if (failures > 0) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
console.log("all export checks passed");
