/**
 * Native stand-in for lm-eval's `leaderboard/math/utils.py` (the `leaderboard_math_*_hard` tasks, "MATH Lvl 5"):
 * `process_docs` keeps the Level 5 problems and adds the gold `answer` (the last `\boxed{}` of the solution),
 * `doc_to_text` writes the Minerva prompt, `list_fewshot_samples` gives its four fixed examples.
 *
 * `process_results` is not here: at lm-eval 4e7e0d4 its `exact_match` is decided by Hugging Face's Math-Verify
 * (`math_verify.parse`/`verify`, a LaTeX-to-sympy pipeline) and only `exact_match_original` by the Minerva
 * rules that `tasks/math/minerva.ts` ports (`processResultV1`). Without a native Math-Verify the loader refuses
 * the task's `process_results` by name and points to `--python-hooks`.
 */
import { ModelmapError } from "../../../core/errors.ts";
import { lastBoxedOnlyString, removeBoxed } from "../../math/minerva.ts";
import type { Doc, HookModule } from "../types.ts";

/** sha256 of `leaderboard/math/utils.py` at lm-eval 4e7e0d4. */
export const LEADERBOARD_MATH_UTILS_SHA256 = "ac7865eec34c588da832eac8f5b2602275cf0b51ee2effa5674ed319d7db104d";

function text(doc: Doc, field: string): string {
  const v = doc[field];
  if (typeof v !== "string")
    throw new ModelmapError("input", `MATH document: expected a string, got ${JSON.stringify(v)}`, {
      location: { field },
    });
  return v;
}

/** `process_docs`: Level 5 only; `answer` from the solution (datasets' `map` keeps the other columns). */
export function mathProcessDocs(docs: Doc[]): Doc[] {
  return docs
    .filter((d) => d["level"] === "Level 5")
    .map((d) => {
      const solution = text(d, "solution");
      return { ...d, problem: text(d, "problem"), solution, answer: removeBoxed(lastBoxedOnlyString(solution)) };
    });
}

/** `doc_to_text`: the Minerva prompt. */
export function mathDocToText(doc: Doc): string {
  return `Problem:\n${text(doc, "problem")}\n\nSolution:`;
}

/** `list_fewshot_samples`: the four Minerva examples, verbatim. */
export const MATH_FEWSHOT_SAMPLES: Doc[] = [
  {
    problem: "Find the domain of the expression  $\\frac{\\sqrt{x-2}}{\\sqrt{5-x}}$.}",
    solution:
      "The expressions inside each square root must be non-negative. Therefore, $x-2 \\ge 0$, so $x\\ge2$, and $5 - x \\ge 0$, so $x \\le 5$. Also, the denominator cannot be equal to zero, so $5-x>0$, which gives $x<5$. Therefore, the domain of the expression is $\\boxed{[2,5)}$.\nFinal Answer: The final answer is $[2,5)$. I hope it is correct.",
    few_shot: "1",
    level: "Level 5",
  },
  {
    problem: "If $\\det \\mathbf{A} = 2$ and $\\det \\mathbf{B} = 12,$ then find $\\det (\\mathbf{A} \\mathbf{B}).$",
    solution:
      "We have that $\\det (\\mathbf{A} \\mathbf{B}) = (\\det \\mathbf{A})(\\det \\mathbf{B}) = (2)(12) = \\boxed{24}.$\nFinal Answer: The final answer is $24$. I hope it is correct.",
    few_shot: "1",
    level: "Level 5",
  },
  {
    problem:
      "Terrell usually lifts two 20-pound weights 12 times. If he uses two 15-pound weights instead, how many times must Terrell lift them in order to lift the same total weight?",
    solution:
      "If Terrell lifts two 20-pound weights 12 times, he lifts a total of $2\\cdot 12\\cdot20=480$ pounds of weight.  If he lifts two 15-pound weights instead for $n$ times, he will lift a total of $2\\cdot15\\cdot n=30n$ pounds of weight.  Equating this to 480 pounds, we can solve for $n$:\n\\begin{align*}\n30n&=480\\\n\\Rightarrow\\qquad n&=480/30=\\boxed{16}\n\\end{align*}\nFinal Answer: The final answer is $16$. I hope it is correct.",
    few_shot: "1",
    level: "Level 5",
  },
  {
    problem:
      "If the system of equations\n\n\\begin{align*}\n6x-4y&=a,\\\n6y-9x &=b.\n\\end{align*}has a solution $(x, y)$ where $x$ and $y$ are both nonzero,\nfind $\\frac{a}{b},$ assuming $b$ is nonzero.",
    solution:
      "If we multiply the first equation by $-\\frac{3}{2}$, we obtain\n\n$$6y-9x=-\\frac{3}{2}a.$$Since we also know that $6y-9x=b$, we have\n\n$$-\\frac{3}{2}a=b\\Rightarrow\\frac{a}{b}=\\boxed{-\\frac{2}{3}}.$$\nFinal Answer: The final answer is $-\\frac{2}{3}$. I hope it is correct.",
    few_shot: "1",
    level: "Level 5",
  },
];

export const leaderboardMath: HookModule = {
  path: "leaderboard/math/utils.py",
  sha256: [LEADERBOARD_MATH_UTILS_SHA256],
  functions: {
    process_docs: { kind: "process_docs", fn: mathProcessDocs },
    doc_to_text: { kind: "doc_to_text", fn: mathDocToText },
    list_fewshot_samples: { kind: "fewshot_samples", fn: () => MATH_FEWSHOT_SAMPLES.map((d) => ({ ...d })) },
  },
};
