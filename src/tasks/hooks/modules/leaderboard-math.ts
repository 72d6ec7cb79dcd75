/**
 * Native stand-in for lm-eval's `leaderboard/math/utils.py` (the `leaderboard_math_*_hard` tasks, "MATH Lvl 5"):
 * `process_docs` keeps the Level 5 problems and adds the gold `answer` (the last `\boxed{}` of the solution),
 * `doc_to_text` writes the Minerva prompt, `list_fewshot_samples` gives its four fixed examples.
 *
 * `process_results` returns lm-eval 4e7e0d4's two metrics: `exact_match` by Hugging Face's Math-Verify
 * (`tasks/math/math-verify.ts`: the model's text parsed with the LaTeX and expression configs, the gold solution
 * with the LaTeX config, `verify(gold, pred)`) and `exact_match_original` by the Minerva rules
 * (`tasks/math/minerva.ts`, `processResultV1`, whose `is_equiv` any failure turns into 0).
 */
import { ModelmapError } from "../../../core/errors.ts";
import { LATEX_CONFIG, mathVerifyParse, mathVerifyVerify } from "../../math/math-verify.ts";
import { lastBoxedOnlyString, processResultV1, removeBoxed } from "../../math/minerva.ts";
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

/** `process_results(doc, results)`: `exact_match` (Math-Verify) and `exact_match_original` (Minerva). */
export function mathProcessResults(
  doc: Doc,
  results: unknown[],
): { exact_match: number; exact_match_original: number } {
  const candidate = results[0];
  if (typeof candidate !== "string")
    throw new ModelmapError(
      "input",
      `MATH process_results: expected a string response, got ${JSON.stringify(candidate)}`,
      {
        location: { field: "results[0]" },
      },
    );
  const pred = mathVerifyParse(candidate);
  const gold = mathVerifyParse(text(doc, "solution"), [LATEX_CONFIG]);
  return {
    exact_match: mathVerifyVerify(gold, pred) ? 1 : 0,
    exact_match_original: processResultV1(text(doc, "answer"), candidate),
  };
}

export const leaderboardMath: HookModule = {
  path: "leaderboard/math/utils.py",
  sha256: [LEADERBOARD_MATH_UTILS_SHA256],
  functions: {
    process_docs: { kind: "process_docs", fn: mathProcessDocs },
    doc_to_text: { kind: "doc_to_text", fn: mathDocToText },
    process_results: { kind: "process_results", fn: mathProcessResults },
    list_fewshot_samples: { kind: "fewshot_samples", fn: () => MATH_FEWSHOT_SAMPLES.map((d) => ({ ...d })) },
  },
};
