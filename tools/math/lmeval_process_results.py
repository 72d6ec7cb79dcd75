"""lm-eval's own `leaderboard/math/utils.py` `process_results` on (doc, response) pairs: the reference verdicts
for modelmap's native hook (src/tasks/hooks/modules/leaderboard-math.ts). Needs what lm-eval's `math` extra
installs: `math-verify` (with latex2sympy2_extended) and sympy with a working `parse_latex` (antlr4 runtime);
nothing in modelmap runs this.

Usage: python3 lmeval_process_results.py UTILS_PY < pairs.jsonl > verdicts.jsonl
Each input line: {"doc": {"solution", "answer", ...}, "response": str}. Each output line: {"exact_match": 0|1,
"exact_match_original": 0|1} or {"error": "..."}.
"""

import contextlib
import io
import json
import sys
import types


def main():
    if "datasets" not in sys.modules:
        stub = types.ModuleType("datasets")
        stub.Dataset = object
        sys.modules["datasets"] = stub
    namespace = {"__name__": "lmeval_math_utils"}
    with open(sys.argv[1], encoding="utf-8") as f:
        exec(compile(f.read(), sys.argv[1], "exec"), namespace)
    process_results = namespace["process_results"]
    for line in sys.stdin:
        item = json.loads(line)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                out = process_results(item["doc"], [item["response"]])
        except Exception as e:  # noqa: BLE001
            out = {"error": f"{type(e).__name__}: {e}"[:200]}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
