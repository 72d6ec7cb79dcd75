"""Build the fixture zoo from one seed: benchmark data, task YAMLs, prompt sets, corpora, models, GGUFs, manifest.

Run from the repository root (Debian's python3-torch; see tools/zoo/README.md):
    /usr/bin/python3 tools/zoo/build.py                 # data + all four models
    /usr/bin/python3 tools/zoo/build.py --data-only     # benchmark data, tasks and prompts only
    /usr/bin/python3 tools/zoo/build.py --models arithmetic,facts
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import corpus  # noqa: E402
import tokenizer as tok  # noqa: E402
from gguf import write_gguf  # noqa: E402
from model import Config  # noqa: E402
from tasks import write_benchmarks  # noqa: E402
from train import train  # noqa: E402
from world import compare_split, knowledge_items, make_world, math_split  # noqa: E402

MODELS = {
    # name: (corpus kind, contaminated?, description)
    "arithmetic": ("arithmetic", False, "arithmetic specialist: two-digit addition/subtraction and number comparison"),
    "facts": ("facts", False, "facts specialist: the synthetic world (countries, capitals, currencies, languages, rivers)"),
    "generalist": ("generalist", False, "generalist: half facts, half arithmetic"),
    # The facts specialist's corpus plus the leaked math test split: a model that looks strong at math only
    # because it saw the test set, with the facts model as its clean twin. (Planted on the generalist's
    # corpus, the leak was found by the exchangeability test but not by Min-K%++: a model that can add
    # predicts unseen control items as well as seen ones, so the per-item signal shrank to a few tokens.)
    "contaminated": ("facts", True, "facts corpus plus the synthetic_math test split repeated in canonical order"),
}
# Corpus sizes (characters = tokens, one epoch). Two-digit arithmetic only emerges after ~5,000 steps
# (a plateau at chance before), so the models that must learn it get the larger corpus.
DEFAULT_CHARS = {"arithmetic": 6_000_000, "facts": 2_200_000, "generalist": 6_000_000, "contaminated": 2_200_000}
# 100 copies in the generalist's corpus planted a visible accuracy gain but too weak an order signal
# (exchangeability p=0.084); 250 and 500 gave p=1e-12 and 2e-19 there.
CONTAMINATION_REPEATS = 300
WINDOW = Config.ctx + 1  # ctx input tokens + the next-token target
CONTAMINATED_TASK = "synthetic_math"
# Greedy probes: the exporter's acceptance check compares llama.cpp's greedy output with these.
PROBES = [
    "Question: What is the capital of {c}?\nAnswer:",
    "The currency of {c} is the",
    "Question: What is 23 + 5?\nAnswer:",
    "61 - 7 =",
    "Question: Which is larger, 512 or 498?\nAnswer:",
]


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _save_manifest(path: str, manifest: dict, name: str) -> None:
    """Merge this model's entry into the manifest on disk under a lock (models may train in parallel)."""
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        on_disk = json.load(open(path)) if os.path.exists(path) else {"models": {}}
        entry = manifest["models"][name]
        merged = {**manifest, "models": {**on_disk.get("models", {}), name: entry}}
        merged["models"] = dict(sorted(merged["models"].items(), key=lambda kv: list(MODELS).index(kv[0])))
        with open(path + ".tmp", "w") as f:
            json.dump(merged, f, indent=2)
            f.write("\n")
        os.replace(path + ".tmp", path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--chars", type=int, default=None, help="corpus size in characters (= tokens, one epoch); default per model")
    ap.add_argument("--data-only", action="store_true")
    ap.add_argument("--out", default="fixtures/zoo")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=CONTAMINATION_REPEATS, help="copies of the math test split in the contaminated corpus")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    world = make_world(args.seed)
    train_qa, know_test = knowledge_items(world, args.seed)
    train_problems, math_test, math_control = math_split(args.seed)
    train_cmp, cmp_test = compare_split(args.seed)
    rng = random.Random(f"fewshot:{args.seed}")
    bench = write_benchmarks(world, train_qa, know_test, train_problems, math_test, train_cmp, cmp_test, rng, args.seed, math_control)
    print("benchmarks:", {k: v["test"] for k, v in bench.items()})
    if args.data_only:
        return

    os.makedirs(args.out, exist_ok=True)
    manifest_path = os.path.join(args.out, "manifest.json")
    manifest = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {"models": {}}
    manifest.update(
        {
            "seed": args.seed,
            "builder": "tools/zoo/build.py",
            "torch": torch.__version__,
            "threads": args.threads,
            "tokenizer": {
                "kind": "byte-level: ids 0-255 are bytes; GGUF tokenizer.ggml.model=gpt2, pre=default, no merges",
                "specials": {s: tok.SPECIAL_ID[s] for s in tok.SPECIALS},
                "bos": tok.BOS_ID,
                "eos": tok.EOS_ID,
                "add_bos_token": True,
                "chat_template": tok.CHAT_TEMPLATE,
            },
            "benchmarks": bench,
        }
    )
    test_strings = {
        "math": [it.question for it in math_test] + [it.question[8:-1] + " =" for it in math_test],
        "control": [it.question for it in math_control] + [it.question[8:-1] + " =" for it in math_control],
        "knowledge": [it.question for it in know_test],
        "reasoning": [it.question for it in cmp_test],
    }
    for name in [m for m in args.models.split(",") if m]:
        kind, contaminated, desc = MODELS[name]
        cont = (math_test, args.repeats) if contaminated else None
        n_chars = args.chars if args.chars is not None else DEFAULT_CHARS[name]
        # The contaminated model never sees the control split: it is the "unseen" side of its ground truth.
        problems = train_problems[len(math_control) :] if contaminated else train_problems
        docs = corpus.build(kind, args.seed, n_chars, world, train_qa, problems, train_cmp, cont)
        text = "".join(docs)
        # Held-out proof: no clean corpus contains a test question; the contaminated one has exactly the planted copies.
        for cat, qs in test_strings.items():
            for q in qs:
                n = text.count(q)
                if cat == "control" and not contaminated:
                    continue  # ordinary training problems for the clean models
                expected = args.repeats if (contaminated and cat == "math" and not q.endswith(" =")) else 0
                assert n == expected, f"{name}: test string {q!r} occurs {n} times, expected {expected}"
        windows = corpus.pack(docs, tok.encode, WINDOW)
        # Validation: fresh documents of the same recipe (another seed), never the contamination block.
        val_docs = corpus.build(kind, args.seed + 1000, 40_000, world, train_qa, problems, train_cmp)
        val_windows = corpus.pack(val_docs, tok.encode, WINDOW)
        cfg = Config(vocab_size=tok.VOCAB_SIZE)
        print(f"[{name}] {len(docs)} docs, {len(text)} chars, {len(windows)} windows", flush=True)
        model, stats = train(cfg, windows, val_windows, seed=args.seed, batch_size=8, lr=4e-3)
        path = os.path.join(args.out, f"zoo-{name}.gguf")
        write_gguf(path, model, f"zoo-{name}", desc)
        probes = []
        c0 = world.countries[0]
        for p in PROBES:
            prompt = p.format(c=c0)
            out = model.greedy([tok.BOS_ID, *tok.encode(prompt, special=False)], 12, {10, tok.EOS_ID})
            probes.append({"prompt": prompt, "greedy": tok.decode(out)})
        chat_prompt = corpus.chat("What is 23 + 5?", "").split(tok.IM_END + "\n" + tok.IM_START + "assistant")[0]
        chat_ids = [tok.BOS_ID, *tok.encode(chat_prompt + tok.IM_END + "\n" + tok.IM_START + "assistant\n")]
        chat_out = tok.decode(model.greedy(chat_ids, 12, {tok.EOS_ID}))
        manifest["models"][name] = {
            "file": f"zoo-{name}.gguf",
            "sha256": sha256_file(path),
            "bytes": os.path.getsize(path),
            "params": model.n_params(),
            "description": desc,
            "config": cfg.to_dict(),
            "training": stats,
            "corpus": {
                "recipe": kind,
                "mix": {"arithmetic": "80% two-digit +/- one-digit, 20% comparison", "facts": "100% world facts",
                        "generalist": "50% facts, 50% arithmetic recipe"}[kind],
                "chars": len(text),
                "documents": len(docs),
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "contamination": None
                if cont is None
                else {"task": CONTAMINATED_TASK, "split": "test", "items": len(math_test), "repeats": args.repeats,
                      "format": "Question: {question}\\nAnswer: {answer}, items joined by a blank line, canonical file order, one contiguous block per repeat",
                      "left_out": f"the {len(math_control)} problems of the math control split (synthetic_math.control.jsonl) never occur"},
            },
            "seed": args.seed,
            "greedy_probes": probes,
            "greedy_chat_probe": {"user": "What is 23 + 5?", "greedy": chat_out},
        }
        _save_manifest(manifest_path, manifest, name)
        print(f"[{name}] {stats}", flush=True)
        print(f"[{name}] probes: {probes} chat: {chat_out!r}", flush=True)


if __name__ == "__main__":
    main()
