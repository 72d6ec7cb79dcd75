"""FastChat's Bradley-Terry method on an aggregated counts file, as the baseline for bench/rank.ts.

This is an independent re-implementation of the method Chatbot Arena's leaderboard code describes
(fastchat/serve/monitor/rating_systems.py: "compute_bt" / "compute_bootstrap_bt"), written here from that
description, not copied:
  * one row per observed (model_a, model_b, outcome) with its count as weight; a tie of either kind is 0.5;
  * logits alpha * (r_a - r_b) with alpha = ln(10), fitted by scipy's L-BFGS-B from zeros
    (gtol 1e-6, maxiter 100);
  * bootstrap: one multinomial draw of the row weights per round (numpy default_rng(seed)), each round
    refitted the same way on a multiprocessing pool of os.cpu_count() processes;
  * ratings = 400 * r + 1000, shifted so an anchor model gets its rating (mixtral-8x7b-instruct-v0.1 = 1114
    when present, as the leaderboard does); percentile 2.5/97.5 intervals.

Usage: python3 bench/rank_fastchat_method.py COUNTS.json ROUNDS SEED > out.json
Prints JSON: {"models": [...], "rating": [...], "lower": [...], "upper": [...], "seconds": {...}}.
"""

import json
import math
import multiprocessing as mp
import os
import sys
import time
from functools import partial

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

ANCHOR = ("mixtral-8x7b-instruct-v0.1", 1114.0)


def rows_from_counts(path):
    data = json.load(open(path))
    a, b, y, w = [], [], [], []
    for (i, j), counts in zip(data["X"], data["Y"]):
        wins_i, wins_j = counts[0], counts[1]
        ties = sum(counts[2:])
        for outcome, weight in ((1.0, wins_i), (0.0, wins_j), (0.5, ties)):
            if weight > 0:
                a.append(i)
                b.append(j)
                y.append(outcome)
                w.append(float(weight))
    return data["models"], np.array(a), np.array(b), np.array(y), np.array(w)


def loss_and_grad(r, a, b, y, w, alpha):
    p = expit(alpha * (r[a] - r[b]))
    loss = -np.sum(w * (y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))
    g = -alpha * (y - p) * w
    grad = np.zeros_like(r)
    np.add.at(grad, a, g)
    np.add.at(grad, b, -g)
    return loss, grad


def fit(a, b, y, k, alpha, w):
    res = minimize(
        loss_and_grad,
        np.zeros(k),
        args=(a, b, y, w, alpha),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 100, "gtol": 1e-6},
    )
    return res.x


def to_ratings(r, models):
    out = 400.0 * r + 1000.0
    if ANCHOR[0] in models:
        idx = models.index(ANCHOR[0])
        out = out + (ANCHOR[1] - out[..., [idx]])
    return out


def main():
    path, rounds, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    t0 = time.perf_counter()
    models, a, b, y, w = rows_from_counts(path)
    k = len(models)
    alpha = math.log(10.0)
    point = to_ratings(fit(a, b, y, k, alpha, w), models)
    t1 = time.perf_counter()
    n = int(w.sum())
    draws = np.random.default_rng(seed).multinomial(n, w / w.sum(), size=rounds).astype(np.float64)
    with mp.Pool(os.cpu_count()) as pool:
        boot = np.array(pool.map(partial(fit, a, b, y, k, alpha), list(draws)))
    boot = to_ratings(boot, models)
    t2 = time.perf_counter()
    json.dump(
        {
            "models": models,
            "rating": point.tolist(),
            "lower": np.percentile(boot, 2.5, axis=0).tolist(),
            "upper": np.percentile(boot, 97.5, axis=0).tolist(),
            "seconds": {"point": t1 - t0, "bootstrap": t2 - t1, "rounds": rounds},
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
