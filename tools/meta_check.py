#!/usr/bin/env python3
"""Independent recomputation of modelmap's A/B and meta-evaluation numbers with numpy/scipy.

    /usr/bin/python3 tools/meta_check.py META.json [AB.json EXPERIMENTS.jsonl]

META.json is tools/meta-arena.ts's report (or any `modelmap meta --out` report): it carries each block's
inputs (per-model estimate and 95% interval of the reference and of every signal) and the seeds of every
random draw. From those inputs alone this script recomputes, with its own code:
  * Spearman and Kendall tau-b (scipy.stats.spearmanr / kendalltau) and their percentile bootstrap intervals
    (resampling models: index int(random() * n) from Python's random.Random(seed), np.percentile);
  * Arena-Hard separability, agreement with 95% CI and pair-rank Brier score (scipy.stats.norm.cdf);
  * BenchBench's agreement test: win rates, leave-one-out mean-win-rate aggregate, random and adjacent subsets
    drawn by the documented rules, Kendall tau per subset, z-score over the signals (ddof = 1).
AB.json is `modelmap ab list --json` of the experiments in EXPERIMENTS.jsonl: effects (difference of proportions, Welch means, delta-method ratios via
the gradient and covariance matrix) and the sample-ratio-mismatch test (scipy.stats.chisquare).

Prints what it checked and exits 1 on any mismatch.
"""
import json
import math
import random
import sys

import numpy as np
from scipy import stats

Z95 = 1.959964
failures = []
checked = 0


def close(what, got, want, tol):
    global checked
    checked += 1
    if got is None or want is None:
        if not (got is None and want is None):
            failures.append(f"{what}: modelmap {got} vs python {want}")
        return
    if math.isnan(want) and (got is None or math.isnan(got)):
        return
    if not (abs(got - want) <= tol):
        failures.append(f"{what}: modelmap {got!r} vs python {want!r} (tolerance {tol})")


def num(x):
    return float("nan") if x is None else float(x)


def bootstrap(x, y, stat, rounds, seed):
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = len(x)
    r = random.Random(seed)
    vals = []
    for _ in range(rounds):
        idx = [int(r.random() * n) for _ in range(n)]
        v = stat(x[idx], y[idx])
        if not math.isnan(v):
            vals.append(v)
    lo, hi = np.percentile(vals, [2.5, 97.5]) if vals else (float("nan"), float("nan"))
    return stat(x, y), float(lo), float(hi)


def spearman(x, y):
    if np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def kendall(x, y):
    if np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan")
    return float(stats.kendalltau(x, y).statistic)


def sep_matrix(lo, hi):
    """+1 where row model is surely above column model, -1 surely below, 0 overlap."""
    lo = np.asarray(lo)[:, None]
    hi = np.asarray(hi)[:, None]
    return np.where(lo > hi.T, 1, np.where(lo.T > hi, -1, 0))


def check_block(b, where):
    s = b["settings"]
    models = b["values"]["models"]
    ref = np.array(b["values"]["reference"], float)
    iu = np.triu_indices(len(models), 1)
    ref_sep = sep_matrix(ref[:, 1], ref[:, 2])
    close(f"{where} reference separability", num(b["reference"]["separability"]), float(np.mean(ref_sep[iu] != 0)), 1e-12)
    names = list(b["values"]["signals"].keys())
    rows = {r["signal"]: r for r in b["rows"]}
    for name in names:
        r = rows[name]
        v = b["values"]["signals"][name]
        keep = [i for i, t in enumerate(v) if t is not None]
        if len(keep) < s["minModels"]:
            continue
        sig = np.array([v[i] for i in keep], float)
        rf = ref[keep]
        w = f"{where} {name}"
        for stat_name, fn in (("spearman", spearman), ("kendall", kendall)):
            est, lo, hi = bootstrap(sig[:, 0], rf[:, 0], fn, s["bootstrap"], r["seeds"][stat_name])
            close(f"{w} {stat_name}", num(r[stat_name]["estimate"]), est, 1e-9)
            close(f"{w} {stat_name} lower", num(r[stat_name]["lower"]), lo, 1e-9)
            close(f"{w} {stat_name} upper", num(r[stat_name]["upper"]), hi, 1e-9)
        k = len(keep)
        jk = np.triu_indices(k, 1)
        ss = sep_matrix(sig[:, 1], sig[:, 2])
        rs = sep_matrix(rf[:, 1], rf[:, 2])
        close(f"{w} separability", num(r["separability"]), float(np.mean(ss[jk] != 0)), 1e-12)
        mask = rs[jk] != 0
        if mask.any():
            score = np.where(ss[jk][mask] == 0, 0, np.where(ss[jk][mask] == rs[jk][mask], 1, -1))
            close(f"{w} agreement with CI", num(r["agreement"]["score"]), float(score.mean()), 1e-12)
            # Pair-rank Brier: forecast that the reference's winner ranks above its loser.
            se = (sig[:, 2] - sig[:, 1]) / (2 * Z95)
            a, c = jk[0][mask], jk[1][mask]
            win = np.where(rs[jk][mask] == 1, a, c)
            lose = np.where(rs[jk][mask] == 1, c, a)
            sd = np.sqrt(se[win] ** 2 + se[lose] ** 2)
            d = sig[win, 0] - sig[lose, 0]
            with np.errstate(divide="ignore", invalid="ignore"):
                p = np.where(sd > 0, stats.norm.cdf(d / np.where(sd > 0, sd, 1)), np.where(d > 0, 1.0, np.where(d < 0, 0.0, 0.5)))
            close(f"{w} Brier", num(r["brier"]), float(np.mean((1 - p) ** 2)), 1e-6)
    check_benchbench(b, names, rows, where)


def win_rates(v):
    out = np.full(len(v), np.nan)
    cov = ~np.isnan(v)
    if cov.sum() < 2:
        return out
    vals = v[cov]
    out[cov] = [(x > vals).sum() / (len(vals) - 1) for x in vals]
    return out


def check_benchbench(b, names, rows, where):
    s = b["settings"]
    bb = s["benchbench"]
    nm = len(b["values"]["models"])
    m = np.array([[np.nan if t is None else t[0] for t in b["values"]["signals"][n]] for n in names], float).reshape(len(names), nm)
    k = len(names)
    min_signals = max(1, (k - 1) // 3)
    wr = np.array([win_rates(m[i]) for i in range(k)]).reshape(k, nm)
    mean_tau = {}
    for si, name in enumerate(names):
        others = np.delete(wr, si, axis=0)
        cnt = (~np.isnan(others)).sum(axis=0)
        with np.errstate(invalid="ignore"):
            agg = np.where(cnt >= min_signals, np.nansum(others, axis=0) / np.maximum(cnt, 1), np.nan)
        shared = [i for i in range(nm) if not math.isnan(m[si, i]) and not math.isnan(agg[i])]
        taus = []
        if len(shared) >= max(5, s["minModels"]):
            for strategy in bb["strategies"]:
                for size in bb["sizes"]:
                    if size > len(shared) or size < 2:
                        continue
                    for rep in range(bb["repetitions"]):
                        seed = s["seed"] * 100000 + size * 100 + rep * 2 + (1 if strategy == "adjacent" else 0)
                        r = random.Random(seed)
                        if strategy == "random":
                            a = list(shared)
                            for i in range(size):
                                j = i + int(r.random() * (len(a) - i))
                                a[i], a[j] = a[j], a[i]
                            sub = a[:size]
                        else:
                            key = m[si] if int(r.random() * 2) == 0 else agg
                            order = sorted(shared, key=lambda i: (-key[i], i))
                            start = int(r.random() * (len(shared) - size + 1))
                            sub = order[start : start + size]
                        t = kendall(m[si, sub], agg[sub])
                        if not math.isnan(t):
                            taus.append(t)
        mean_tau[name] = float(np.mean(taus)) if taus else float("nan")
        bbr = rows[name]["benchbench"]
        close(f"{where} {name} BenchBench mean tau", None if bbr is None else num(bbr["meanTau"]), None if not taus else mean_tau[name], 1e-9)
    tested = [n for n in names if not math.isnan(mean_tau[n])]
    if len(tested) >= 3:
        arr = np.array([mean_tau[n] for n in tested])
        for n in tested:
            z = (mean_tau[n] - arr.mean()) / arr.std(ddof=1)
            close(f"{where} {n} BenchBench z", num(rows[n]["benchbench"]["z"]), float(z), 1e-9)


def check_rank_only(rows, rounds):
    for r in rows:
        for stat_name, fn in (("spearman", spearman), ("kendall", kendall)):
            est, lo, hi = bootstrap(r["x"], r["y"], fn, rounds, r["seeds"][stat_name])
            close(f"rank-only {r['signal']} {stat_name}", num(r[stat_name]["estimate"]), est, 1e-9)
            close(f"rank-only {r['signal']} {stat_name} lower", num(r[stat_name]["lower"]), lo, 1e-9)
            close(f"rank-only {r['signal']} {stat_name} upper", num(r[stat_name]["upper"]), hi, 1e-9)


def check_ab(analyses):
    q = stats.norm.ppf(0.975)
    for a in analyses:
        vs = a["variants"]
        units = np.array([v["units"] for v in vs], float)
        planned = np.array([v["plannedShare"] for v in vs], float)
        chi = stats.chisquare(units, units.sum() * planned / planned.sum())
        close(f"{a['id']} SRM chi2", a["srm"]["chi2"], float(chi.statistic), 1e-9)
        close(f"{a['id']} SRM p", a["srm"]["p"], float(chi.pvalue), max(1e-12, 1e-6 * chi.pvalue))
        for e in a["effects"]:
            va = next(v for v in vs if v["name"] == e["a"])
            vb = next(v for v in vs if v["name"] == e["b"])
            # Each variant's value and standard error were computed by modelmap from the file's summaries; the
            # difference and its interval are recomputed here from the experiment's raw fields below.
            raw_a = raw_variant(a, e["a"])
            raw_b = raw_variant(a, e["b"])
            if a["kind"] == "proportion":
                pa, pb = raw_a["successes"] / raw_a["units"], raw_b["successes"] / raw_b["units"]
                est = pb - pa
                se = math.sqrt(pa * (1 - pa) / raw_a["units"] + pb * (1 - pb) / raw_b["units"])
            elif a["kind"] == "mean":
                est = raw_b["mean"] - raw_a["mean"]
                se = math.sqrt(raw_a["sd"] ** 2 / raw_a["units"] + raw_b["sd"] ** 2 / raw_b["units"])
            else:
                ra, var_a = delta_ratio(raw_a)
                rb, var_b = delta_ratio(raw_b)
                est = rb - ra
                se = math.sqrt(var_a + var_b)
                close(f"{a['id']} {e['a']} ratio", va["value"], ra, 1e-12)
                close(f"{a['id']} {e['b']} ratio se", vb["se"], math.sqrt(var_b), 1e-12)
            close(f"{a['id']} {e['b']}-{e['a']} effect", e["effect"]["estimate"], est, 1e-12)
            close(f"{a['id']} {e['b']}-{e['a']} lower", e["effect"]["lower"], est - q * se, 1e-7)
            close(f"{a['id']} {e['b']}-{e['a']} upper", e["effect"]["upper"], est + q * se, 1e-7)
            close(f"{a['id']} {e['b']}-{e['a']} p", e["effect"]["p"], float(2 * stats.norm.sf(abs(est / se))) if se > 0 else 1.0, 1e-7)


RAW = {}


def raw_variant(a, name):
    return RAW[a["id"]][name]


def delta_ratio(v):
    """Var of mean(Y)/mean(X) by the delta method: g' S g / n with g = (1/mx, -my/mx^2)."""
    mx, my = v["denominator_mean"], v["numerator_mean"]
    g = np.array([1 / mx, -my / mx**2])
    cov = np.array([[v["numerator_sd"] ** 2, v["covariance"]], [v["covariance"], v["denominator_sd"] ** 2]])
    return my / mx, float(g @ cov @ g / v["units"])


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    with open(sys.argv[1]) as f:
        report = json.load(f)
    for i, b in enumerate(report["blocks"]):
        check_block(b, f"block {i} ({b['reference']['signal']})")
    if "rankOnly" in report:
        check_rank_only(report["rankOnly"], report["settings"]["bootstrap"])
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            ab = json.load(f)
        for line in open(sys.argv[3]) if len(sys.argv) > 3 else []:
            line = line.strip()
            if line and not line.startswith("#"):
                e = json.loads(line)
                RAW[e["experiment"]] = {v["name"]: v for v in e["variants"]}
        check_ab(ab)
    print(f"checked {checked} numbers against numpy {np.__version__} / scipy {__import__('scipy').__version__}")
    if failures:
        print(f"{len(failures)} mismatch(es):")
        for f_ in failures[:50]:
            print("  " + f_)
        sys.exit(1)
    print("all agree")


if __name__ == "__main__":
    main()
