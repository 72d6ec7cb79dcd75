"""Reference values for modelmap's ports of lm-eval's filters, metrics and aggregations.

Runs lm-evaluation-harness's own code (commit 4e7e0d47f33bc71070c1d38394bafbb52b117163) on synthetic inputs
written here, and writes inputs and outputs to fixtures/lmeval-reference/filters-metrics.json, which
src/tasks/{filters,metrics,aggregations}.test.ts compare against.

Usage (Debian: python3-numpy, python3-sklearn, python3-regex; sacrebleu importable, or its source on PYTHONPATH):
    LMEVAL_SRC=/path/to/lm-evaluation-harness python3 tools/lmeval-reference/make-filter-metric-reference.py
"""
import json
import math
import os
import sys
import types

sys.path.insert(0, os.environ["LMEVAL_SRC"])
for mod in ("portalocker", "tabulate", "colorama", "lxml", "lxml.etree"):
    try:
        __import__(mod)
    except ImportError:  # sacrebleu's CLI-only imports
        m = types.ModuleType(mod)
        m.tabulate = lambda *a, **k: ""
        sys.modules[mod] = m
for mod in ("datasets", "tqdm"):
    try:
        __import__(mod)
    except ImportError:  # lm_eval.api.task imports them; nothing here loads data or shows progress
        m = types.ModuleType(mod)
        m.Dataset = m.DatasetDict = m.DownloadMode = object
        m.__version__ = "3.0.0"
        m.tqdm = lambda it=None, *a, **k: it
        sys.modules[mod] = m
import importlib.metadata as md

_version = md.version
md.version = lambda name: "0.4.13.dev0" if name in ("lm_eval", "lm-eval") else _version(name)
os.environ["DISABLE_MULTIPROC"] = "1"

import lm_eval.api.metrics as M  # noqa: E402
from lm_eval.api.task import ConfigurableTask  # noqa: E402
from lm_eval.filters import build_filter_ensemble  # noqa: E402


class Inst:
    def __init__(self, resps, doc):
        self.resps, self.doc, self.filtered_resps = resps, doc, {}


def run_pipeline(steps, resps, docs):
    ens = build_filter_ensemble("p", [[s["function"], {k: v for k, v in s.items() if k != "function"}] for s in steps])
    insts = [Inst(r, d) for r, d in zip(resps, docs)]
    try:
        ens.apply(insts)
        return {"ok": [i.filtered_resps["p"] for i in insts]}
    except Exception as e:  # lm-eval raising is part of the reference too
        return {"error": type(e).__name__}


RESPONSES = [
    "Natalia sold 48/2 = 24 clips in May.\n#### 72",
    "The answer is 1,234.5. So the answer is 18.",
    "So the answer is (B).",
    "I think the answer is: C",
    "answer: the Moon (A) is closest",
    "٣٤ apples and 12 pears, total $46.",
    "",
    "  Yes, it is plausible.  ",
    "THE ANSWER IS (d)",
    "no numbers here\r\nat all",
]
PATTERNS = [
    {"regex_pattern": "#### (\\-?[0-9\\.\\,]+)"},
    {"regex_pattern": "(-?[$0-9.,]{2,})|(-?[0-9]+)", "group_select": -1},
    {"regex_pattern": "The answer is (\\-?[0-9\\.\\,]*[0-9]+)"},
    {"regex_pattern": "(?<=the answer is )(.*)(?=.)"},
    {"regex_pattern": "\\(([A-Z])\\)", "fallback": "X"},
    {"regex_pattern": "(\\([A-Z]\\))|([A-Z])", "group_select": 0},
    {"regex_pattern": "(?i)answer is[:\\s]*\\(?([a-d])\\)?"},
]
MC_DOCS = [
    {"choices": ["the Moon", "Mars", "Venus", "a comet (rare)"]},
    {"choices": ["Yes", "No"]},
    {"choices": ["1,234.5", "18", "72", "$46"]},
]
MC_KWARGS = [
    {"regex_pattern": "(\\([A-Z]\\))", "group_select": 0},
    {"regex_pattern": "answer is \\(([A-Z])\\)", "ignore_case": True, "ignore_punctuation": True},
    {"regex_pattern": "ZZZ(\\d)", "ignore_case": True, "regexes_to_ignore": ["\\s+", "\\$"]},
    {"regex_pattern": "(\\([A-Z]\\))", "group_select": -1, "fallback": "[none]"},
]
SIMPLE = [
    [{"function": "take_first"}],
    [{"function": "take_first_k", "k": 2}],
    [{"function": "majority_vote"}, {"function": "take_first"}],
    [{"function": "lowercase"}, {"function": "take_first"}],
    [{"function": "uppercase"}, {"function": "take_first"}],
    [{"function": "remove_whitespace"}, {"function": "take_first"}],
    [{"function": "map", "mapping_dict": {"yes": "A", "no": "B"}, "default_value": "?"}, {"function": "take_first"}],
    [{"function": "regex", "regex_pattern": "(\\d+)", "group_select": -1}, {"function": "majority_vote"}, {"function": "take_first"}],
    [{"function": "take_first"}, {"function": "lowercase"}],
]
REPEATS = [
    [" Yes ", "yes", "no", "no"],
    ["a 1", "b 2", "c 2", "d 1"],
    ["x", "y", "y", "x"],
    ["\u00a0B\u001c", "B", "c", "C"],
]

out = {"regex": [], "multi_choice_regex": [], "pipelines": [], "exact_match": [], "mc": [], "generate": [],
       "rolling": [], "aggregations": [], "stderr": []}
for kw in PATTERNS:
    out["regex"].append({"kwargs": kw, "resps": [[r] for r in RESPONSES],
                         "out": run_pipeline([{"function": "regex", **kw}], [[r] for r in RESPONSES], [{}] * len(RESPONSES))})
for kw in MC_KWARGS:
    docs = [MC_DOCS[i % len(MC_DOCS)] for i in range(len(RESPONSES))]
    out["multi_choice_regex"].append({"kwargs": kw, "docs": docs, "resps": [[r] for r in RESPONSES],
                                      "out": run_pipeline([{"function": "multi_choice_regex", **kw}], [[r] for r in RESPONSES], docs)})
for steps in SIMPLE:
    out["pipelines"].append({"steps": steps, "resps": REPEATS, "out": run_pipeline(steps, REPEATS, [{}] * len(REPEATS))})

EM_PAIRS = [("Hello, World!", "hello world"), ("  42 ", "42"), ("The answer: 1,234", "1234"), ("a\x00", "a"),
            ("Café", "café"), ("#### 18", "18."), ("abc123", "abc"), ("x", "x ")]
EM_OPTS = [{}, {"ignore_case": True}, {"ignore_punctuation": True}, {"ignore_numbers": True},
           {"ignore_case": True, "ignore_punctuation": True, "regexes_to_ignore": [",", "\\$", "(?s).*#### ", "\\.$"]},
           {"regexes_to_ignore": ["^\\s+", "\\s+$"]}]
for o in EM_OPTS:
    out["exact_match"].append({"opts": o, "pairs": EM_PAIRS,
                               "out": [M.exact_match_hf_evaluate([p], [r], **o)["exact_match"] for p, r in EM_PAIRS]})


def fake_task(output_type, metrics, choices=None, target=None, multiple_target=False, multiple_input=False):
    t = object.__new__(ConfigurableTask)
    t.OUTPUT_TYPE = output_type
    t._config = types.SimpleNamespace(process_results=None, doc_to_choice=choices)
    t._metric_fn_list = {m: M.__dict__.get(m + "_fn", None) for m in metrics}
    if "exact_match" in metrics:
        t._metric_fn_list["exact_match"] = M.exact_match_fn
    for m in ("bleu", "chrf", "ter", "f1", "mcc"):
        if m in metrics:
            t._metric_fn_list[m] = M.__dict__[m + "_fn"]
    t._metric_fn_kwargs = {m: {} for m in metrics}
    t._aggregation_list = {}
    t._higher_is_better = {}
    t.multiple_target = multiple_target
    t.multiple_input = multiple_input
    t.doc_to_choice = lambda doc: doc["choices"]
    t.doc_to_target = lambda doc: doc["gold"]
    t.doc_to_text = lambda doc: doc["gold"]
    return t


MC_METRICS = ["acc", "acc_norm", "acc_bytes", "exact_match", "f1", "mcc", "brier_score", "likelihood"]
MC_CASES = [
    {"choices": ["Paris", "London is big", "Rome"], "gold": 0, "results": [[-3.0, True], [-4.0, False], [-3.5, False]]},
    {"choices": ["a", "bbbbbbbb", "ccc"], "gold": 1, "results": [[-2.0, False], [-6.0, True], [-5.0, False]]},
    {"choices": ["é", "ee", "e"], "gold": 0, "results": [[-2.2, False], [-4.2, False], [-2.0, True]]},
    {"choices": ["A", "B", "C", "D"], "gold": "C", "results": [[-1.0, False], [-1.0, True], [-0.5, False], [-2.0, False]]},
    {"choices": ["A", "B"], "gold": "Z", "results": [[-1.0, True], [-1.5, False]]},
    {"choices": ["x", "y", "z"], "gold": [0, 2], "results": [[-3.0, False], [-1.0, True], [-2.0, False]]},
    {"choices": ["x", "y", "z"], "gold": [1, 7], "results": [[-3.0, False], [-1.0, True], [-2.0, False]]},
]
for c in MC_CASES:
    t = fake_task("multiple_choice", MC_METRICS, choices=True, multiple_target=isinstance(c["gold"], list))
    r = t.process_results(c, [tuple(x) for x in c["results"]])
    out["mc"].append({"case": c, "metrics": MC_METRICS, "out": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in r.items()}})
MI = {"choices": ["yes", "no", "maybe"], "gold": 2,
      "results": [[-1.0, True], [-2.0, False], [-2.5, False], [-0.5, False], [-2.5, False], [-4.0, False]]}
t = fake_task("multiple_choice", ["acc", "acc_mutual_info"], choices=True)
out["mc"].append({"case": MI, "metrics": ["acc", "acc_mutual_info"], "out": t.process_results(MI, [tuple(x) for x in MI["results"]])})

GEN = [
    {"gold": "Paris", "result": "Paris", "metrics": ["exact_match", "bleu", "chrf", "ter"]},
    {"gold": 18, "result": "18", "metrics": ["exact_match"]},
    {"gold": ["Paris", "paris, France"], "result": "paris", "metrics": ["exact_match"], "multiple_target": True},
    {"gold": ["Paris", "Lyon"], "result": "Rome", "metrics": ["exact_match", "bleu"], "multiple_target": True},
]
for g in GEN:
    t = fake_task("generate_until", g["metrics"], multiple_target=g.get("multiple_target", False))
    out["generate"].append({"case": g, "out": t.process_results(g, [g["result"]])})

for text in ["The quick brown fox.", "  leading and\ttrailing  ", "naïve café 日本", "", "one\u00a0two\u001cthree"]:
    t = fake_task("loglikelihood_rolling", ["word_perplexity", "byte_perplexity", "bits_per_byte"])
    out["rolling"].append({"text": text, "ll": -12.5, "out": t.process_results({"gold": text}, (-12.5,))})

import random  # noqa: E402

rnd = random.Random(7)
FLOATS = [rnd.random() * 3 - 1 for _ in range(257)]
ACC = [rnd.randrange(2) for _ in range(300)]
PAIRS_BIN = [(rnd.randrange(2), rnd.randrange(2)) for _ in range(200)]
PAIRS_MULTI = [(rnd.randrange(4), rnd.randrange(4)) for _ in range(200)]
WEIGHTED = [(-(rnd.random() * 50), rnd.randrange(1, 40)) for _ in range(50)]
NAN = [x if i % 5 else float("nan") for i, x in enumerate(FLOATS[:40])]
SACRE = [(["The cat sat on the mat.", "A cat was on the mat."][i % 2], ["The cat sat on a mat.", "the cat", "On the mat sat the cat!"][i % 3]) for i in range(12)]
BRIER = [(rnd.randrange(3), [0.2, 0.5, 0.3]) for _ in range(20)]
AGG_CASES = [
    ("mean", FLOATS), ("mean", ACC), ("median", FLOATS), ("median", FLOATS[:100]), ("perplexity", FLOATS),
    ("weighted_perplexity", WEIGHTED), ("bits_per_byte", WEIGHTED), ("nanmean", NAN), ("f1", PAIRS_BIN),
    ("matthews_corrcoef", PAIRS_BIN), ("matthews_corrcoef", PAIRS_MULTI), ("bleu", SACRE), ("chrf", SACRE),
    ("ter", SACRE), ("brier_score", BRIER),
]
for name, items in AGG_CASES:
    v = M.__dict__[{"f1": "f1_score", "weighted_perplexity": "weighted_perplexity"}.get(name, name)](items)
    out["aggregations"].append({"name": name, "items": items, "out": float(v)})

STDERR_CASES = [("mean", "acc", ACC, 100000), ("median", "x", FLOATS[:60], 3000), ("perplexity", "perplexity", FLOATS[:80], 2000),
                ("nanmean", "x", NAN, 2000), ("f1", "f1", PAIRS_BIN[:60], 2000), ("matthews_corrcoef", "mcc", PAIRS_MULTI[:60], 2000),
                ("bleu", "bleu", SACRE, 100000), ("chrf", "chrf", SACRE, 100000)]
AGG_FN = {"mean": M.mean, "median": M.median, "perplexity": M.perplexity, "nanmean": M.nanmean, "f1": M.f1_score,
          "matthews_corrcoef": M.matthews_corrcoef, "bleu": M.bleu, "chrf": M.chrf}
for agg, metric, items, iters in STDERR_CASES:
    fn = M.stderr_for_metric(AGG_FN[agg], min(iters, 100) if metric in ("bleu", "chrf", "ter") else iters)
    out["stderr"].append({"aggregation": agg, "metric": metric, "items": items, "iters": iters, "out": float(fn(items))})


def enc(v):
    if isinstance(v, float) and not math.isfinite(v):
        return {"$float": "nan" if v != v else ("inf" if v > 0 else "-inf")}
    if isinstance(v, dict):
        return {str(k): enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if hasattr(v, "tolist"):
        return enc(v.tolist())
    return v


dest = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "lmeval-reference", "filters-metrics.json")
os.makedirs(os.path.dirname(dest), exist_ok=True)
with open(dest, "w") as f:
    json.dump(enc(out), f, ensure_ascii=False, indent=None)
    f.write("\n")
print("wrote", dest)
