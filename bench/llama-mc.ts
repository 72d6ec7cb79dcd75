/**
 * Multiple choice through the llama-cpp backend (issue 3 speed targets):
 *  - tokens evaluated vs the minimum (each context once plus its choices; target <= 1.05x) and vs the naive
 *    count (the context once per choice);
 *  - wall time vs calling node-llama-cpp directly on the same tokens in this process (target <= 1.15x).
 *
 * Run: npx tsx bench/llama-mc.ts [--items 16] [--rounds 5] [--threads 1] [--model FILE.gguf]
 * Without --model it writes a tiny random llama (byte-level BPE, 256-wide, 4 layers) to a temp dir.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Token } from "node-llama-cpp";
import { openLlamaCppBackend } from "../src/backends/llama-cpp/backend.ts";
import { getSharedLlama } from "../src/backends/llama-cpp/engine.ts";
import { encodePair } from "../src/backends/llama-cpp/tokens.ts";
import type { LoglikelihoodRequest } from "../src/backends/types.ts";
import { createRng } from "../src/core/rng.ts";
import { createTinyModel } from "../test/support/tiny-model.ts";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "16" },
    rounds: { type: "string", default: "5" },
    threads: { type: "string", default: "1" },
    model: { type: "string" },
  },
});
const nItems = Number(values.items);
const rounds = Number(values.rounds);
const threads = Number(values.threads);

const WORDS = (
  "the of and to in is was that for on with as by at from his her they be this are have not had one all " +
  "question answer model language capital river mountain science history number value energy water light " +
  "small large early later because however therefore which would could should about between during"
).split(" ");

const dir = mkdtempSync(join(tmpdir(), "modelmap-bench-"));
const modelPath =
  values.model ??
  createTinyModel(join(dir, "bench.gguf"), {
    seed: 3,
    nEmbd: 256,
    nLayer: 4,
    nHead: 8,
    nHeadKv: 4,
    nFf: 768,
    contextLength: 1024,
  }).path;

const be = await openLlamaCppBackend({ modelPath, threads, contextSize: 1024 });
const rng = createRng(42);
const words = (n: number) => Array.from({ length: n }, () => WORDS[rng.int(WORDS.length)]).join(" ");

// Items: a ~300-token context and 4 choices of ~10 tokens.
const tok = (s: string) => {
  // The backend's own tokenizer, synchronously, for sizing the texts.
  return tokCache.get(s) ?? [];
};
const tokCache = new Map<string, number[]>();
async function tokenCount(s: string): Promise<number> {
  const t = await be.tokenize(s);
  tokCache.set(s, t);
  return t.length;
}
/** Random words, one at a time, until the text reaches `target` tokens. */
async function textOfTokens(target: number, prefix: string): Promise<string> {
  let s = prefix;
  while ((await tokenCount(s)) < target) s += (s === prefix && prefix.endsWith(" ") ? "" : " ") + words(1);
  return s;
}

const items: Array<{ context: string; choices: string[] }> = [];
for (let i = 0; i < nItems; i++) {
  const context = `${await textOfTokens(295, "Question:")}\nAnswer:`;
  const choices: string[] = [];
  for (let c = 0; c < 4; c++) choices.push(await textOfTokens(10, ""));
  items.push({ context, choices });
}
const requests: LoglikelihoodRequest[] = items.flatMap((it) =>
  it.choices.map((c) => ({ context: it.context, continuation: c })),
);

// The same tokens the backend scores (harness split), for the token counts and the direct baseline.
const bos = (await be.tokenize(be.bosToken))[0] as number;
const encoded = await Promise.all(
  items.map(async (it) => {
    await Promise.all([it.context, ...it.choices.map((c) => it.context + c)].map(tokenCount));
    const pairs = it.choices.map((c) => encodePair(tok, it.context, c, [bos], bos));
    return { context: pairs[0]?.context ?? [], choices: pairs.map((p) => p.continuation), pairs };
  }),
);
for (const e of encoded) {
  for (const p of e.pairs) {
    if (p.context.join() !== e.context.join()) throw new Error("choices split the context differently");
  }
}
const minimum = encoded.reduce((s, e) => s + e.context.length + e.choices.reduce((a, c) => a + c.length, 0), 0);
const naive = encoded.reduce((s, e) => s + e.choices.reduce((a, c) => a + e.context.length + c.length, 0), 0);

// Direct node-llama-cpp: a second model instance, same threads, same window; context once, erase per choice.
const llama = await getSharedLlama(false);
const model = await llama.loadModel({ modelPath });
const ctx = await model.createContext({ contextSize: 1025, threads });
const seq = ctx.getSequence();
const probs = { generateNext: { probabilities: true } } as const;
async function direct(): Promise<number[]> {
  const out: number[] = [];
  for (const e of encoded) {
    await seq.clearHistory();
    const c = e.context as Token[];
    const r = await seq.controlledEvaluate([...c.slice(0, -1), [c.at(-1) as Token, probs]]);
    const last = r.at(-1)?.next.probabilities;
    for (const ch of e.choices) {
      await seq.eraseContextTokenRanges([{ start: c.length, end: seq.nextTokenIndex }]);
      let lp = Math.log(last?.get(ch[0] as Token) ?? 0);
      if (ch.length > 1) {
        const rr = await seq.controlledEvaluate(
          ch.slice(0, -1).map((t) => [t as Token, probs] as [Token, typeof probs]),
        );
        for (let k = 1; k < ch.length; k++) lp += Math.log(rr[k - 1]?.next.probabilities?.get(ch[k] as Token) ?? 0);
      }
      out.push(lp);
    }
  }
  return out;
}

const oursMs: number[] = [];
const directMs: number[] = [];
// CPU time (process-wide: JS and llama.cpp threads) is printed too: on a loaded shared machine it is the steadier
// measure of the work each path does.
const oursCpu: number[] = [];
const directCpu: number[] = [];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let evaluated = 0;
let maxDiff = 0;
for (let r = 0; r < rounds; r++) {
  await be.loglikelihood([{ context: "unrelated warm-up", continuation: " text" }]);
  be.resetTokenCount();
  let t = performance.now();
  let c = cpuMs();
  const ours = await be.loglikelihood(requests);
  oursMs.push(performance.now() - t);
  oursCpu.push(cpuMs() - c);
  evaluated = be.tokensEvaluated;
  t = performance.now();
  c = cpuMs();
  const ref = await direct();
  directMs.push(performance.now() - t);
  directCpu.push(cpuMs() - c);
  ours.forEach((o, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(o.logprob - (ref[i] as number)) / Math.max(1, Math.abs(ref[i] as number)));
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const fmt = (x: number) => x.toFixed(1);
console.log(`llama-mc: ${nItems} items x 4 choices, model ${modelPath === values.model ? modelPath : "tiny 256x4"}`);
console.log(
  `  context tokens/item ${fmt(encoded.reduce((s, e) => s + e.context.length, 0) / nItems)}, choice tokens ${fmt(encoded.reduce((s, e) => s + e.choices.reduce((a, c) => a + c.length, 0), 0) / nItems / 4)}`,
);
console.log(`  tokens evaluated: ${evaluated}   minimum (context once + choices): ${minimum}   naive: ${naive}`);
console.log(
  `  ratio vs minimum: ${(evaluated / minimum).toFixed(3)}x (target <= 1.05)   vs naive: ${(evaluated / naive).toFixed(3)}x`,
);
console.log(
  `  wall (median of ${rounds}): backend ${fmt(median(oursMs))} ms   direct node-llama-cpp ${fmt(median(directMs))} ms   ratio ${(median(oursMs) / median(directMs)).toFixed(3)}x (target <= 1.15)`,
);
console.log(
  `  cpu  (median of ${rounds}): backend ${fmt(median(oursCpu))} ms   direct node-llama-cpp ${fmt(median(directCpu))} ms   ratio ${(median(oursCpu) / median(directCpu)).toFixed(3)}x`,
);
console.log(`  rounds backend ms [${oursMs.map(fmt).join(", ")}]  direct ms [${directMs.map(fmt).join(", ")}]`);
console.log(`  max relative |logprob difference| backend vs direct: ${maxDiff.toExponential(2)}`);

await be.close();
await ctx.dispose();
await model.dispose();
rmSync(dir, { recursive: true, force: true });
