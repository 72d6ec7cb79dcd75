/**
 * Rolling log-likelihood (perplexity, contamination checks) against llama.cpp's own `llama-perplexity` (built from
 * the source node-llama-cpp ships, see llama-anchor.ts): the same text, `-c 512`, one thread, back to back in rounds.
 * Rows:
 *  - llama-perplexity: its time from "calculating perplexity" to "Final estimate" (its log's timestamps: the
 *    decodes, after the model load and tokenization) and its PPL, as built here (AVX2) and on node-llama-cpp's
 *    engine libraries (the kernels modelmap runs on);
 *  - modelmap, llama-perplexity's chunks: the backend's native scorer on exactly llama-perplexity's work (chunks of
 *    512 tokens, BOS first, the second half scored), so the times compare like for like and the PPL must agree;
 *  - llama-perplexity --ppl-stride (its strided mode): windows of 512 tokens 511 apart with every row's logits, the
 *    public call's work (see strideArgs), per token decoded;
 *  - modelmap, the same chunks with every row scored: what scoring a whole window costs over scoring half of it (the
 *    engine computes the last layer's feed-forward, the output norm and the output matrix only for output rows);
 *  - modelmap loglikelihoodRolling(text): the public call (lm-evaluation-harness windows of 512, overlap 1, every
 *    token scored), per token scored and per token decoded (its last window decodes 512 tokens to score the rest).
 * The text is HellaSwag's contexts (../shared/data/hellaswag) joined by newlines, cut to --chunks x 512 tokens.
 *
 * Run: npx tsx bench/llama-rolling.ts [--chunks 20] [--rounds 3] [--threads 1] [--models llama2,zoo]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import Bunzip from "seek-bzip";
import { openLlamaCppBackend } from "../src/backends/llama-cpp/backend.ts";
import type { NativeScorer } from "../src/backends/llama-cpp/native-scorer.ts";
import { buildLlamaTool, engineLibraries, engineVariantFor, median, timed } from "./llama-anchor.ts";

const ROOT = resolve(import.meta.dirname, "..");
const DATA = resolve(ROOT, "..", "shared", "data");
const MODELS: Record<string, string> = {
  llama2: join(DATA, "tiny_gguf_models", "llama-2-tiny-random.gguf"),
  zoo: join(ROOT, "fixtures", "zoo", "zoo-generalist.gguf"),
};
const CTX = 512;
const { values } = parseArgs({
  options: {
    chunks: { type: "string", default: "20" },
    rounds: { type: "string", default: "3" },
    threads: { type: "string", default: "1" },
    models: { type: "string", default: "llama2,zoo" },
  },
});
const CHUNKS = Number(values.chunks);
const THREADS = Number(values.threads);
const tool = buildLlamaTool("llama-perplexity");
const lines = Bunzip.decode(readFileSync(join(DATA, "hellaswag", "hellaswag_val_full.txt.bz2")))
  .toString("utf8")
  .split("\n");
// One CPU variant per process, decided by the first model (cpu-variant.ts); the engine-libs runs use the same.
const variant = await engineVariantFor(MODELS[values.models.split(",")[0] ?? ""] ?? "");
const engine = engineLibraries(variant);
console.log(
  `engine CPU variant: ${variant === "ggml" ? "ggml's choice" : variant} (modelmap and llama.cpp's tool on the engine libraries)`,
);
/**
 * Seconds between two of llama-perplexity's log messages, by the timestamp (minutes.seconds.milliseconds.microseconds)
 * each message starts with. A message can start mid-line: "Final estimate" follows the unterminated "ETA ..."
 * progress message on its line, whose own timestamp is the first pass's (reading the line's timestamp measured one
 * pass of 4 chunks, a fifth of the work).
 */
function between(stderr: string, from: RegExp, to: RegExp): number {
  return stampOf(stderr, to) - stampOf(stderr, from);
}
/** Seconds since llama.cpp's logging started at the message `re` finds (see between). */
function stampOf(stderr: string, re: RegExp): number {
  const hit = re.exec(stderr);
  if (!hit) return Number.NaN;
  const stamps = [...stderr.slice(0, hit.index).matchAll(/(?:^|\s)(\d+)\.(\d+)\.(\d+)\.(\d+) [A-Z] /g)];
  const m = stamps[stamps.length - 1];
  return m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) / 1e3 + Number(m[4]) / 1e6 : Number.NaN;
}
const work = mkdtempSync(join(tmpdir(), "mm-rolling-"));
console.log(
  `rolling log-likelihood, ${CHUNKS} chunks of ${CTX} tokens of HellaSwag contexts, ${THREADS} thread(s), ` +
    `${values.rounds} rounds (medians); CPU ${cpus()[0]?.model} x${cpus().length}; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
);
/** The engine-side parts of the backend the bench drives directly (private: this is a measurement, not an API). */
interface Internals {
  native: NativeScorer | undefined;
  prefix: number[];
}
for (const name of values.models.split(",")) {
  const model = MODELS[name] as string;
  const be = await openLlamaCppBackend({ modelPath: model, threads: THREADS, contextSize: CTX, env: process.env });
  try {
    const { native, prefix } = be as unknown as Internals;
    if (!native) throw new Error(`native scorer unavailable: ${JSON.stringify(be.nativeScorerStatus)}`);
    // Enough text for CHUNKS chunks (llama-perplexity tokenizes the whole file, BOS first when the model adds one).
    let text = "";
    let tokens: number[] = [];
    for (let i = 0; tokens.length < CHUNKS * CTX + 1; i += 6) {
      text += `${lines[i] ?? ""}\n`;
      if (i % 600 === 0 || i >= lines.length) tokens = [...prefix, ...(await be.tokenize(text))];
      if (i >= lines.length) throw new Error("not enough text");
    }
    tokens = [...prefix, ...(await be.tokenize(text))];
    const file = join(work, `${name}.txt`);
    writeFileSync(file, text);
    const bos = prefix[0];
    const first = CTX / 2;
    const ref: number[] = [];
    const refCpu: number[] = [];
    const eng: number[] = [];
    const strided: number[] = [];
    const stridedEng: number[] = [];
    let stridedTokens = 0;
    const chunked: number[] = [];
    const chunkedCpu: number[] = [];
    const allRows: number[] = [];
    const allRowsCpu: number[] = [];
    const rolling: number[] = [];
    const rollingCpu: number[] = [];
    let refPpl = Number.NaN;
    let engPpl = Number.NaN;
    let ourPpl = Number.NaN;
    let rollingTokens = 0;
    let rollingDecoded = 0;
    const lpArgs = ["-m", model, "-f", file, "-c", String(CTX), "--chunks", String(CHUNKS), "-t", String(THREADS)];
    // Strided mode (perplexity_v2) adds stride/2 to -c and caps its batch at -c before that: these windows hold
    // CTX tokens, start CTX-1 apart (lm-eval's overlap of 1) and go in two decodes (257 and 255 rows for 512). It
    // prints no closing message: its time runs from "computing over" to the end of the process.
    const half = CTX - Math.floor((CTX - 1) / 2);
    const strideArgs = [
      ...["-m", model, "-f", file, "-c", String(half), "-b", String(half)],
      ...["--ppl-stride", String(CTX - 1), "-t", String(THREADS)],
    ];
    const stridedSeconds = (t: { wall: number; stderr: string }) => {
      const m = /computing over (\d+) chunks, n_ctx=(\d+)/.exec(t.stderr);
      if (!m || Number(m[2]) !== CTX) throw new Error(`llama-perplexity --ppl-stride: no windows of ${CTX} in its log`);
      stridedTokens = Number(m[1]) * CTX;
      return t.wall - stampOf(t.stderr, /computing over/);
    };
    const decodeSeconds = (stderr: string) => between(stderr, /calculating perplexity over/, /Final estimate/);
    const ppl = (stderr: string) => Number(/Final estimate: PPL = ([\d.]+)/.exec(stderr)?.[1] ?? Number.NaN);
    for (let r = 0; r < Number(values.rounds); r++) {
      const out = timed(tool, lpArgs, { what: "llama-perplexity" });
      ref.push(decodeSeconds(out.stderr));
      refCpu.push(out.cpu);
      refPpl = ppl(out.stderr);
      strided.push(stridedSeconds(timed(tool, strideArgs, { what: "llama-perplexity --ppl-stride" })));
      if (engine) {
        const e = timed(tool, lpArgs, {
          cwd: engine.cwd,
          env: { ...process.env, LD_LIBRARY_PATH: engine.libDir },
          what: "llama-perplexity on node-llama-cpp's libraries",
        });
        eng.push(decodeSeconds(e.stderr));
        engPpl = ppl(e.stderr);
        const es = timed(tool, strideArgs, {
          cwd: engine.cwd,
          env: { ...process.env, LD_LIBRARY_PATH: engine.libDir },
          what: "llama-perplexity --ppl-stride on node-llama-cpp's libraries",
        });
        stridedEng.push(stridedSeconds(es));
      }
      // llama-perplexity's chunks through the native scorer.
      let t0 = performance.now();
      let c0 = process.cpuUsage();
      let sum = 0;
      let count = 0;
      for (let k = 0; k < CHUNKS; k++) {
        const chunk = tokens.slice(k * CTX, (k + 1) * CTX);
        if (bos !== undefined) chunk[0] = bos;
        const scores = await native.scoreSequence({ tokens: chunk, firstScored: first + 1 }, false);
        for (const s of scores) sum += s.logprob;
        count += scores.length;
      }
      let c = process.cpuUsage(c0);
      chunked.push((performance.now() - t0) / 1000);
      chunkedCpu.push((c.user + c.system) / 1e6);
      ourPpl = Math.exp(-sum / count);
      // The same chunks, every row an output.
      t0 = performance.now();
      c0 = process.cpuUsage();
      for (let k = 0; k < CHUNKS; k++) {
        const chunk = tokens.slice(k * CTX, (k + 1) * CTX);
        if (bos !== undefined) chunk[0] = bos;
        await native.scoreSequence({ tokens: chunk, firstScored: 1 }, false);
      }
      c = process.cpuUsage(c0);
      allRows.push((performance.now() - t0) / 1000);
      allRowsCpu.push((c.user + c.system) / 1e6);
      // The public call, on the same text.
      t0 = performance.now();
      c0 = process.cpuUsage();
      const evaluated = native.tokensEvaluated;
      const [res] = await be.loglikelihoodRolling([text]);
      rollingDecoded = native.tokensEvaluated - evaluated;
      c = process.cpuUsage(c0);
      rolling.push((performance.now() - t0) / 1000);
      rollingCpu.push((c.user + c.system) / 1e6);
      rollingTokens = res?.tokenCount ?? 0;
    }
    const n = CHUNKS * CTX;
    const a = median(ref);
    const e = median(eng);
    const b = median(chunked);
    const d = median(rolling);
    const rel = (x: number, y: number) => (Math.abs(x - y) / y).toExponential(1);
    console.log(`\n${name}: ${model} (${tokens.length} tokens of text)`);
    console.log(
      `  llama-perplexity (AVX2 build)  ${(n / a).toFixed(0)} tok/s (${a.toFixed(2)} s after load; whole process CPU ${median(refCpu).toFixed(2)} s); PPL ${refPpl}`,
    );
    if (engine)
      console.log(
        `  llama-perplexity (engine libs) ${(n / e).toFixed(0)} tok/s (${e.toFixed(2)} s after load); PPL ${engPpl}`,
      );
    console.log(
      `  modelmap, the same chunks      ${(n / b).toFixed(0)} tok/s (${b.toFixed(2)} s, CPU ${median(chunkedCpu).toFixed(2)} s); PPL ${ourPpl.toFixed(4)} ` +
        `(relative difference ${rel(ourPpl, refPpl)} from the AVX2 build, ${rel(ourPpl, engPpl)} from the engine libs); ` +
        `ratio ${(b / a).toFixed(2)}x the AVX2 build, ${(b / e).toFixed(2)}x the engine libs`,
    );
    const sa = median(strided);
    const se = median(stridedEng);
    console.log(
      `  llama-perplexity --ppl-stride ${CTX - 1} (AVX2 build) ${(stridedTokens / sa).toFixed(0)} tok/s decoded (${sa.toFixed(2)} s after load, ` +
        `${stridedTokens} tokens in windows of ${CTX}, every row's logits)` +
        (engine ? `; engine libs ${(stridedTokens / se).toFixed(0)} tok/s (${se.toFixed(2)} s)` : ""),
    );
    const f = median(allRows);
    console.log(
      `  modelmap, every row scored     ${(n / f).toFixed(0)} tok/s (${f.toFixed(2)} s, CPU ${median(allRowsCpu).toFixed(2)} s); ` +
        `${(f / b).toFixed(2)}x the same chunks (CPU ${(median(allRowsCpu) / median(chunkedCpu)).toFixed(2)}x)`,
    );
    console.log(
      `  modelmap loglikelihoodRolling(text): ${rollingTokens} tokens scored in ${d.toFixed(2)} s (CPU ${median(rollingCpu).toFixed(2)} s), ` +
        `${(rollingTokens / d).toFixed(0)} tok/s; per token ${((d / rollingTokens) * (n / a)).toFixed(2)}x llama-perplexity's (AVX2 build); ` +
        `${rollingDecoded} tokens decoded, per token decoded ${((d / rollingDecoded) * (n / f)).toFixed(2)}x the chunks with every row scored ` +
        `(CPU ${((median(rollingCpu) / rollingDecoded) * (n / median(allRowsCpu))).toFixed(2)}x), ` +
        `${((d / rollingDecoded) * (stridedTokens / sa)).toFixed(2)}x llama-perplexity --ppl-stride's (AVX2 build)` +
        (engine ? `, ${((d / rollingDecoded) * (stridedTokens / se)).toFixed(2)}x on the engine libs` : ""),
    );
  } finally {
    await be.close();
  }
}
console.log(
  `\nload average at end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
rmSync(work, { recursive: true, force: true });
