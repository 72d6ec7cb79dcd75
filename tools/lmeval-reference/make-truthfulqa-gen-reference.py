"""Reference values for modelmap's port of truthfulqa/utils.py's process_results_gen (BLEU + ROUGE).

Runs lm-eval's own truthfulqa/utils.py (the task tree at commit 4e7e0d4, unpacked from
../shared/data/lm_eval_tasks) with sacrebleu 2.5 and rouge_score importable, on the first 60 questions of
../shared/data/truthfulqa/TruthfulQA.csv turned into HF `generation` rows, and completions made here. Writes only
row indices, completions and lm-eval's outputs to fixtures/lmeval-reference/truthfulqa-gen.json (no data).

Usage: LMEVAL_TASKS=/tmp/x/lm_eval/tasks PYTHONPATH=<sacrebleu and rouge_score> python3 tools/lmeval-reference/make-truthfulqa-gen-reference.py
"""
import csv
import importlib.util
import json
import os
import random
import sys
import types

try:
    import datasets  # noqa: F401
except ImportError:
    sys.modules["datasets"] = types.ModuleType("datasets")
    sys.modules["datasets"].Dataset = object

root = os.path.join(os.path.dirname(__file__), "..", "..")
spec = importlib.util.spec_from_file_location("tq_utils", os.path.join(os.environ["LMEVAL_TASKS"], "truthfulqa", "utils.py"))
utils = importlib.util.module_from_spec(spec)
spec.loader.exec_module(utils)


def split_list(s):
    return [x.strip() for x in s.strip().split(";")]


rows = list(csv.DictReader(open(os.path.join(root, "..", "shared", "data", "truthfulqa", "TruthfulQA.csv"), encoding="utf-8")))
rnd = random.Random(5)
out = []
for i, row in enumerate(rows[:60]):
    doc = utils.preprocess_function({
        "question": row["Question"],
        "correct_answers": split_list(row["Correct Answers"]),
        "incorrect_answers": split_list(row["Incorrect Answers"]),
    })
    pool = doc["correct_answers"] + doc["incorrect_answers"]
    k = i % 6
    if k == 0:
        completion = rnd.choice(pool)
    elif k == 1:
        completion = " . ".join(rnd.sample(pool, min(2, len(pool))))
    elif k == 2:
        completion = "I have no comment."
    elif k == 3:
        completion = ""
    elif k == 4:
        w = rnd.choice(pool).split()
        rnd.shuffle(w)
        completion = " ".join(w) + " - 42%, isn't it?"
    else:
        completion = rnd.choice(pool).upper() + "\nAnd more: " + rnd.choice(pool)
    res = utils.process_results_gen(doc, [completion])
    out.append({"row": i, "completion": completion, "out": {k2: float(v) for k2, v in res.items()}})

dest = os.path.join(root, "fixtures", "lmeval-reference", "truthfulqa-gen.json")
with open(dest, "w") as f:
    json.dump(out, f, ensure_ascii=False)
    f.write("\n")
print("wrote", dest, len(out))
