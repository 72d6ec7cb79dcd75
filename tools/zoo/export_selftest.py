"""Exporter acceptance fixture: a small random-weight model (untied output, random norms) as GGUF plus the
log-likelihoods PyTorch computes for it. test/zoo.test.ts checks that llama.cpp computes the same numbers,
which pins the tensor layout, the RoPE pair convention, RMSNorm epsilon and the output projection.

    /usr/bin/python3 tools/zoo/export_selftest.py     # writes fixtures/zoo/selftest.gguf and selftest.json
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import tokenizer as tok  # noqa: E402
from gguf import write_gguf  # noqa: E402
from model import Config, TinyLlama  # noqa: E402

PAIRS = [
    ("Question: What is 23 + 45?\nAnswer:", " 68"),
    ("The capital of Zorvia is", " Kelmar and the river is the Dunava."),
    ("", "abc"),
    ("A longer context lets rotary positions far from zero matter: 0123456789 0123456789", " ok"),
    # Contexts end without whitespace: the harness moves trailing whitespace into the continuation (lm-eval).
    (tok.IM_START + "user\nhi" + tok.IM_END + "\n" + tok.IM_START + "assistant", "\nhello" + tok.IM_END),
]


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(1234)
    cfg = Config(vocab_size=tok.VOCAB_SIZE, dim=64, n_layers=2, n_heads=4, ffn_dim=160, ctx=128, tied=False)
    model = TinyLlama(cfg)
    with torch.no_grad():
        # Large random weights so that the output depends strongly on every tensor and on position.
        for name, p in model.named_parameters():
            if name.endswith("weight") and p.dim() == 1:
                p.copy_(1 + 0.5 * torch.randn_like(p))
            else:
                p.normal_(0, 0.25)
    model.eval()
    out_dir = "fixtures/zoo"
    write_gguf(os.path.join(out_dir, "selftest.gguf"), model, "zoo-selftest", "random weights: exporter acceptance fixture")
    cases = []
    with torch.no_grad():
        for ctx, cont in PAIRS:
            c_ids = [tok.BOS_ID, *tok.encode(ctx)]
            x_ids = tok.encode(cont)
            ids = torch.tensor([c_ids + x_ids])
            logp = F.log_softmax(model(ids)[0].double(), -1)
            per = [float(logp[len(c_ids) - 1 + i, t]) for i, t in enumerate(x_ids)]
            greedy = all(int(logp[len(c_ids) - 1 + i].argmax()) == t for i, t in enumerate(x_ids))
            cases.append({"context": ctx, "continuation": cont, "logprob": sum(per), "token_logprobs": per, "is_greedy": greedy})
    with open(os.path.join(out_dir, "selftest.json"), "w") as f:
        json.dump({"config": cfg.to_dict(), "params": model.n_params(), "cases": cases}, f, indent=2)
        f.write("\n")
    print(json.dumps([(c["continuation"], round(c["logprob"], 4)) for c in cases]))


if __name__ == "__main__":
    main()
