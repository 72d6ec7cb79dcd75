/**
 * Greedy generation through the llama-cpp backend against llama.cpp's own `llama-completion` (built from the source
 * node-llama-cpp ships, see llama-anchor.ts), same model, prompt, thread count and number of tokens, back to back
 * in rounds. Prints tokens/s and CPU per token from llama.cpp's own eval + sampling timers and from the backend's
 * generate() call (prompt included in both; it is a few tokens), the CPU per token (llama-completion's whole process
 * less a one-token run of it, i.e. without its model load; the generate() call alone), and the ratios of the wall
 * times and of the CPU times (on a loaded machine wall times mostly measure the scheduler).
 *
 * Both run with a context of CONTEXT tokens and must generate all n tokens (attention costs grow with the position).
 *
 * Run: npx tsx bench/llama-generate.ts [--tokens 500] [--rounds 3] [--threads 1] [--models llama2,zoo]
 */
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openLlamaCppBackend } from "../src/backends/llama-cpp/backend.ts";
import { buildLlamaTool, engineLibraries, engineVariantFor, median, timed } from "./llama-anchor.ts";

const ROOT = resolve(import.meta.dirname, "..");
const DATA = resolve(ROOT, "..", "shared", "data");
const MODELS: Record<string, string> = {
  llama2: join(DATA, "tiny_gguf_models", "llama-2-tiny-random.gguf"),
  zoo: join(ROOT, "fixtures", "zoo", "zoo-generalist.gguf"),
};
const { values } = parseArgs({
  options: {
    tokens: { type: "string", default: "500" },
    rounds: { type: "string", default: "3" },
    threads: { type: "string", default: "1" },
    models: { type: "string", default: "llama2,zoo" },
  },
});
const n = Number(values.tokens);
const threads = Number(values.threads);
const PROMPT = "Hello";
/**
 * One context size for both sides. llama-completion's default is the model's training context (at least 256): on
 * the zoo fixture (trained on 96) it stopped after 249 tokens ("context full and context shift is disabled"), at
 * positions where attention is half as long, while its time was divided by the tokens asked for.
 */
const CONTEXT = 1024;
const tool = buildLlamaTool("llama-completion");
// One CPU variant per process, decided by the first model (cpu-variant.ts); the engine-libs runs use the same.
const variant = await engineVariantFor(MODELS[values.models.split(",")[0] ?? ""] ?? "");
const engine = engineLibraries(variant);
console.log(
  `engine CPU variant: ${variant === "ggml" ? "ggml's choice" : variant} (modelmap and llama.cpp's tool on the engine libraries)`,
);
console.log(
  `greedy generation of ${n} tokens after "${PROMPT}", ${threads} thread(s), ${values.rounds} rounds (medians); ` +
    `CPU ${cpus()[0]?.model} x${cpus().length}; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
);
for (const name of values.models.split(",")) {
  const model = MODELS[name] as string;
  const ref: number[] = [];
  const refCpu: number[] = [];
  const eng: number[] = [];
  const ours: number[] = [];
  const oursCpu: number[] = [];
  const be = await openLlamaCppBackend({ modelPath: model, threads, contextSize: CONTEXT, env: process.env });
  try {
    await be.generate(PROMPT, { maxTokens: 4, temperature: 0 }); // warm-up, as llama-completion's
    const args = [
      "-m",
      model,
      "-p",
      PROMPT,
      "-n",
      String(n),
      "-t",
      String(threads),
      "-c",
      String(CONTEXT),
      "--temp",
      "0",
      "--ignore-eos",
      "-no-cnv",
    ];
    // llama.cpp's own timers: prompt + generation + sampling, the work generate() does; n tokens generated are
    // n - 1 decodes after the prompt's (the last token is not evaluated), as in generate().
    const work = (stderr: string, what: string) => {
      const ms = (label: string) =>
        Number(new RegExp(`common_perf_print:\\s+${label} time =\\s+([\\d.]+) ms`).exec(stderr)?.[1] ?? Number.NaN);
      const runs = Number(/common_perf_print:\s+eval time =\s+[\d.]+ ms \/\s+(\d+) runs/.exec(stderr)?.[1] ?? 0);
      if (runs !== n - 1)
        throw new Error(`${what} evaluated ${runs} tokens, not ${n - 1}: the figures would not compare`);
      return (ms("prompt eval") + ms("eval") + ms("sampling")) / 1000;
    };
    // The same program stopping after one token: its CPU is the model load and set-up, taken off the CPU above.
    const loadArgs = args.map((a, i) => (args[i - 1] === "-n" ? "1" : a));
    for (let r = 0; r < Number(values.rounds); r++) {
      const out = timed(tool, args, { what: "llama-completion" });
      ref.push(work(out.stderr, "llama-completion"));
      refCpu.push(out.cpu - timed(tool, loadArgs, { what: "llama-completion -n 1" }).cpu);
      // The same program on node-llama-cpp's engine libraries (the kernels modelmap runs on).
      if (engine) {
        const e = timed(tool, args, {
          cwd: engine.cwd,
          env: { ...process.env, LD_LIBRARY_PATH: engine.libDir },
          what: "llama-completion on node-llama-cpp's libraries",
        });
        eng.push(work(e.stderr, "llama-completion on the engine libraries"));
      }
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const g = await be.generate(PROMPT, { maxTokens: n, temperature: 0 });
      const c = process.cpuUsage(c0);
      ours.push((performance.now() - t0) / 1000);
      oursCpu.push((c.user + c.system) / 1e6);
      if (g.usage.completionTokens !== n) console.log(`  (modelmap stopped after ${g.usage.completionTokens}: EOS)`);
    }
  } finally {
    await be.close();
  }
  const a = median(ref);
  const cpuRatio = median(oursCpu) / median(refCpu);
  const b = median(ours);
  const e = median(eng);
  console.log(
    `${name}: llama-completion ${(n / a).toFixed(0)} tok/s (${((1000 * a) / n).toFixed(3)} ms/token, CPU ${((1000 * median(refCpu)) / n).toFixed(3)} ms/token without its model load); ` +
      (engine
        ? `on node-llama-cpp's engine libraries ${(n / e).toFixed(0)} tok/s (${((1000 * e) / n).toFixed(3)} ms/token); `
        : "") +
      `modelmap generate ${(n / b).toFixed(0)} tok/s (${((1000 * b) / n).toFixed(3)} ms/token, CPU ${((1000 * median(oursCpu)) / n).toFixed(3)} ms/token); ` +
      `ratio ${(b / a).toFixed(2)}x the AVX2 build${engine ? `, ${(b / e).toFixed(2)}x the engine libraries` : ""}; ` +
      `CPU ratio ${cpuRatio.toFixed(2)}x the AVX2 build`,
  );
}
