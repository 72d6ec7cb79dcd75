/**
 * lm-eval's few-shot samplers (`lm_eval/api/samplers.py`), exactly: ONE Python `random.Random(seed)` per task
 * (lm-eval's default few-shot seed is 1234), consumed document by document in order, so document i's examples
 * depend on the draws for documents 0..i-1 (a `--limit` keeps the prefix's prompts unchanged). The default sampler
 * draws `rnd.sample(pool, k)`; when the few-shot split is the evaluated one (lm-eval's test `fewshot_cfg.split ==
 * config.test_split`, true also when both are unset) it draws k+1 and drops the evaluated document. `first_n` takes
 * the pool's first k.
 */
import { ModelmapError } from "../core/errors.ts";
import { PythonRandom } from "../core/python-random.ts";
import type { Doc } from "./dataset.ts";
import { pyEq } from "./py-values.ts";

export type SamplerKind = "default" | "first_n";

export class FewshotSampler {
  private readonly rnd: PythonRandom;
  private readonly pool: Doc[];

  constructor(
    pool: Doc[],
    readonly kind: SamplerKind,
    seed: number,
    fewshotIndices?: readonly number[] | null,
    private readonly task = "task",
    /** The task's file, named in errors. */
    private readonly file?: string,
  ) {
    this.rnd = new PythonRandom(seed);
    this.pool = fewshotIndices && fewshotIndices.length > 0 ? fewshotIndices.map((i) => pool[i] as Doc) : pool;
  }

  private fail(msg: string): never {
    throw new ModelmapError("input", `task '${this.task}': ${msg}`, {
      ...(this.file ? { location: { file: this.file, field: "num_fewshot" } } : {}),
    });
  }

  /** The examples for one document; `evalDoc` is given when the pool may contain it. */
  sample(n: number, evalDoc?: Doc): Doc[] {
    if (n === 0) return [];
    if (this.kind === "first_n") {
      const pool = evalDoc === undefined ? this.pool : this.pool.filter((x) => !pyEq(x, evalDoc));
      if (n > pool.length) this.fail(`${n}-shot asks for more examples than the ${pool.length} available`);
      return pool.slice(0, n);
    }
    if (this.pool.length === 0) this.fail("no few-shot documents to sample from");
    const k = evalDoc === undefined ? n : n + 1;
    if (k > this.pool.length)
      this.fail(`${n}-shot needs ${k} few-shot documents to sample from, the pool has ${this.pool.length}`);
    const drawn = this.rnd.sample(this.pool, k);
    const res = evalDoc === undefined ? drawn : drawn.filter((x) => !pyEq(x, evalDoc)).slice(0, n);
    if (res.length !== n) this.fail(`the sampler returned ${res.length} examples, not ${n}`);
    return res;
  }
}
