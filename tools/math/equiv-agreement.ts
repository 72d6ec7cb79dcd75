/**
 * Measures `simplifiesToZero` (src/tasks/math/algebra.ts) against real sympy on every pair of tools/math/equiv-pairs.ts:
 *   node --import tsx tools/math/equiv-agreement.ts [DATA_DIR] > report.txt
 * Needs /usr/bin/python3 with sympy. Prints agreement by pair kind and by method, and every disagreement.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { simplifiesToZero } from "../../src/tasks/math/algebra.ts";
import { toSympy } from "../../src/tasks/math/expr.ts";
import { parseLatexSympy } from "../../src/tasks/math/latex-parse.ts";
import { makePairs } from "./equiv-pairs.ts";

const dataDir = process.argv[2] ?? resolve(import.meta.dirname, "../../../shared/data");
const pairs = makePairs(dataDir).flatMap((p) => {
  try {
    const a = parseLatexSympy(p.a);
    const b = parseLatexSympy(p.b);
    return [{ ...p, ta: a, tb: b, ours: simplifiesToZero(a, b) }];
  } catch {
    return [];
  }
});
const out = execFileSync("/usr/bin/python3", [resolve(import.meta.dirname, "sympy_equiv.py"), "5"], {
  input: pairs.map((p) => JSON.stringify({ a: toSympy(p.ta), b: toSympy(p.tb) })).join("\n"),
  maxBuffer: 1 << 28,
  encoding: "utf8",
});
const ref = out
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { equal?: boolean; timeout?: boolean });
const stats = new Map<string, { n: number; agree: number; equal: number }>();
const bump = (k: string, agree: boolean, equal: boolean) => {
  const s = stats.get(k) ?? { n: 0, agree: 0, equal: 0 };
  s.n++;
  if (agree) s.agree++;
  if (equal) s.equal++;
  stats.set(k, s);
};
let timeouts = 0;
pairs.forEach((p, i) => {
  const r = ref[i] ?? {};
  if (r.timeout) {
    timeouts++;
    return;
  }
  const sympyEqual = r.equal === true;
  const agree = sympyEqual === p.ours.equal;
  bump("all", agree, sympyEqual);
  bump(`kind:${p.kind}`, agree, sympyEqual);
  bump(`method:${p.ours.method}`, agree, sympyEqual);
  if (!agree)
    console.log(`DISAGREE ${p.kind} ours=${p.ours.equal}(${p.ours.method}) sympy=${sympyEqual}: ${p.a}  vs  ${p.b}`);
});
for (const [k, s] of stats) console.log(`${k}: ${s.agree}/${s.n} agree (${s.equal} equal per sympy)`);
console.log(`sympy timeouts (5 s, left out): ${timeouts}`);
