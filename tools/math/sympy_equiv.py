"""Reference verdicts for modelmap's `simplifiesToZero` (src/tasks/math/algebra.ts): real sympy's
`simplify(a - b) == 0`, as lm-eval's `is_equiv` asks it, on expressions modelmap's LaTeX parser printed in sympy
syntax (`toSympy`).

Usage: python3 sympy_equiv.py [TIMEOUT_S] < pairs.jsonl > verdicts.jsonl

Each input line is {"a": SYMPY_EXPR, "b": SYMPY_EXPR}. Each output line is {"equal": true|false} or
{"error": "..."} where building or subtracting the expressions raises (is_equiv answers False there too) or
{"timeout": true} when simplify runs past TIMEOUT_S seconds (default 5; is_equiv gives up after 1 s).
"""

import json
import signal
import sys

from sympy import (  # noqa: F401  (names the printed expressions use)
    Abs, Add, E, Eq, FiniteSet, Float, Function, Ge, Gt, I, Integer, Interval, Le, Lt, Matrix, Mul, Ne, Pow,
    Rational, S, Symbol, Tuple, Union, acos, acot, acsc, asec, asin, asinh, acosh, atan, atanh, binomial,
    ceiling, conjugate, cos, cosh, cot, csc, exp, factorial, floor, gamma, log, nan, oo, pi, sec, simplify, sin,
    sinh, tan, tanh, zoo,
)


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def main():
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    signal.signal(signal.SIGALRM, on_alarm)
    for line in sys.stdin:
        pair = json.loads(line)
        try:
            signal.alarm(limit)
            try:
                a = eval(pair["a"])
                b = eval(pair["b"])
                out = {"equal": bool(simplify(a - b) == 0)}
            finally:
                signal.alarm(0)
        except Timeout:
            out = {"timeout": True}
        except Exception as e:  # noqa: BLE001  (is_equiv turns every failure into "not equal")
            out = {"error": type(e).__name__}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
