"""Scores IFEval responses with lm-eval's own, unchanged Python (`ifeval/utils.py` and the modules it imports),
so that modelmap's TypeScript port can be compared with it verdict by verdict.

Usage: python3 lmeval_reference.py TASKS_DIR DOCS.jsonl RESPONSES.jsonl PUNKT_PARAMS.json > verdicts.jsonl

TASKS_DIR is an unpacked `lm_eval/tasks` tree. Responses are joined to documents by prompt text, as Google's
`evaluation_main.py` joins them. Output: one line per scored document, in the responses' order:
{"key", "prompt", "strict": [bool...], "loose": [bool...]}.

What the harness supplies around the unchanged code (and why):
- `lm_eval` and `lm_eval.tasks` are empty packages over TASKS_DIR, so that importing `lm_eval.tasks.ifeval.*`
  does not import the whole harness (torch, datasets, ...).
- `immutabledict` and `packaging` are tiny stand-ins when missing; the NLTK version check (>= 3.9.1, a guard
  against downloading unsafe punkt pickles) is satisfied, because nothing is downloaded here: NLTK's English
  Punkt parameters are built from PUNKT_PARAMS.json (NLTK's `punkt/english.pickle`, as modelmap ships it)
  with NLTK's own `PunktSentenceTokenizer`.
- langdetect is seeded (`DetectorFactory.seed = 0`) and its profiles are loaded in sorted order, and Python's
  global `random` is seeded with 0 before each document, as lm-eval seeds it (`random_seed=0`).
"""

import json
import os
import random
import sys
import tempfile
import types


def install_shims(tasks_dir, punkt_params_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(tasks_dir)))
    for name, path in (("lm_eval", os.path.join(root, "lm_eval")), ("lm_eval.tasks", os.path.abspath(tasks_dir))):
        mod = types.ModuleType(name)
        mod.__path__ = [path]
        sys.modules[name] = mod

    try:
        import immutabledict  # noqa: F401
    except ImportError:
        shim = types.ModuleType("immutabledict")
        shim.immutabledict = dict
        sys.modules["immutabledict"] = shim

    packaging = types.ModuleType("packaging")
    version = types.ModuleType("packaging.version")

    class _AnyVersion:
        def __init__(self, text):
            self.text = text

        def __ge__(self, other):
            return True

        def __str__(self):
            return self.text

    version.parse = _AnyVersion
    packaging.version = version
    sys.modules["packaging"] = packaging
    sys.modules["packaging.version"] = version

    import nltk
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    data_dir = tempfile.mkdtemp(prefix="nltk_data_")
    os.makedirs(os.path.join(data_dir, "tokenizers", "punkt_tab"))
    # NLTK 3.8 rewrites "punkt" to "punkt/PY3" in resource names, so it looks for this one instead.
    os.makedirs(os.path.join(data_dir, "tokenizers", "punkt", "PY3_tab"))
    nltk.data.path.insert(0, data_dir)

    with open(punkt_params_path, encoding="utf-8") as f:
        raw = json.load(f)
    params = PunktParameters()
    params.abbrev_types = set(raw["abbrev_types"])
    params.collocations = {tuple(c) for c in raw["collocations"]}
    params.sent_starters = set(raw["sent_starters"])
    for typ, flag in raw["ortho_context"].items():
        params.ortho_context[typ] = flag
    tokenizer = PunktSentenceTokenizer(params)
    real_load = nltk.data.load

    def load(resource_url, *args, **kwargs):
        if "punkt" in resource_url and "english" in resource_url:
            return tokenizer
        return real_load(resource_url, *args, **kwargs)

    nltk.data.load = load
    nltk.tokenize.load = load

    import langdetect.detector_factory as factory_module
    from langdetect.detector_factory import DetectorFactory

    DetectorFactory.seed = 0
    factory = DetectorFactory()
    profiles = factory_module.PROFILES_DIRECTORY
    factory.load_json_profile(
        [open(os.path.join(profiles, name), encoding="utf-8").read() for name in sorted(os.listdir(profiles))]
    )
    factory_module._factory = factory


def main():
    tasks_dir, docs_path, responses_path, punkt_params_path = sys.argv[1:5]
    install_shims(tasks_dir, punkt_params_path)
    from lm_eval.tasks.ifeval import utils

    with open(docs_path, encoding="utf-8") as f:
        docs = {d["prompt"]: d for d in map(json.loads, f)}
    with open(responses_path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            doc = docs.get(row["prompt"])
            if doc is None:
                continue
            inp = utils.InputExample(
                key=doc["key"],
                instruction_id_list=doc["instruction_id_list"],
                prompt=doc["prompt"],
                kwargs=doc["kwargs"],
            )
            random.seed(0)
            strict = utils.test_instruction_following_strict(inp, row["response"])
            loose = utils.test_instruction_following_loose(inp, row["response"])
            out = {
                "key": doc["key"],
                "prompt": doc["prompt"],
                "strict": strict.follow_instruction_list,
                "loose": loose.follow_instruction_list,
            }
            sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
