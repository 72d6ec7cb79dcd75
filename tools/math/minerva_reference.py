"""Runs lm-eval's `leaderboard/math/utils.py` string functions, unchanged, on MATH documents, for comparing
modelmap's port with them.

Usage: python3 minerva_reference.py UTILS_PY < docs.jsonl > out.jsonl

Each input line is a MATH row ({"problem", "solution", "level", ...}) with an optional "candidate" (a model
response). Each output line: {"answer": remove_boxed(last_boxed_only_string(solution)), "normalized":
normalize_final_answer(answer), "unnormalized": get_unnormalized_answer(candidate), "v1":
process_result_v1(doc, candidate) or "error: ..."}.

utils.py imports `datasets` and `math_verify` at the top and needs sympy's `parse_latex` (ANTLR 4.10) for
`is_equiv`; the first two are replaced by empty stand-ins (the functions used here do not touch them). Where
`parse_latex` cannot run (Debian ships antlr4 4.9, sympy 1.11 wants exactly 4.10), `is_equiv` raises and
lm-eval's `process_results` counts the answer as wrong (0), which is what "v1" reports.
"""

import json
import sys
import types


def main():
    for name in ("datasets", "math_verify"):
        if name not in sys.modules:
            try:
                __import__(name)
            except ImportError:
                stub = types.ModuleType(name)
                stub.Dataset = object
                stub.LatexExtractionConfig = stub.parse = stub.verify = None
                sys.modules[name] = stub
    namespace = {"__name__": "lmeval_math_utils"}
    with open(sys.argv[1], encoding="utf-8") as f:
        exec(compile(f.read(), sys.argv[1], "exec"), namespace)
    u = types.SimpleNamespace(**namespace)

    for line in sys.stdin:
        doc = json.loads(line)
        answer = u.remove_boxed(u.last_boxed_only_string(doc["solution"]))
        out = {"answer": answer, "normalized": u.normalize_final_answer(answer)}
        if "candidate" in doc:
            out["unnormalized"] = u.get_unnormalized_answer(doc["candidate"])
            try:
                out["v1"] = u.process_result_v1({**doc, "answer": answer}, doc["candidate"])
            except Exception as e:  # lm-eval's process_results turns any exception into 0
                out["v1"] = f"error: {type(e).__name__}"
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
