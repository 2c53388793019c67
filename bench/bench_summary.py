#!/usr/bin/python3
"""Records and tables of bench/run.sh (benchmark harness, not the product).

    bench_summary.py record --res DIR --key K --kind gram|gramcli|chol|fit|fitpy --rc RC
                            --load-before X --load-after Y [--report FILE] -- CMD...
        reads DIR/K.time (/usr/bin/time -v) and DIR/K.log, writes DIR/K.json
    bench_summary.py table --res DIR --n N --gram-n N --gram-l L --scale-n "..."
                           --scale-l "..." --scale-ln N --rss-n N --workers W
        prints the side-by-side tables and the ratios against the goals
"""

import argparse
import glob
import json
import os
import re
import shlex
import sys


def parse_time(path):
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path):
        line = line.strip()
        if line.startswith("Elapsed (wall clock) time"):
            v = line.rsplit(": ", 1)[1]
            parts = [float(p) for p in v.split(":")]
            s = 0.0
            for p in parts:
                s = s * 60 + p
            out["wall_s"] = s
        elif line.startswith("Maximum resident set size (kbytes)"):
            out["max_rss_kb"] = int(line.rsplit(": ", 1)[1])
        elif line.startswith("User time (seconds)"):
            out["user_s"] = float(line.rsplit(": ", 1)[1])
        elif line.startswith("System time (seconds)"):
            out["sys_s"] = float(line.rsplit(": ", 1)[1])
        elif line.startswith("Percent of CPU this job got"):
            out["cpu_percent"] = line.rsplit(": ", 1)[1]
    return out


def kv(s):
    return {k: v for k, v in re.findall(r"(\w+)=(\S+)", s)}


def record(a, cmd):
    rec = dict(key=a.key, kind=a.kind, rc=a.rc, load_before=float(a.load_before),
               load_after=float(a.load_after), cmd=" ".join(shlex.quote(c) for c in cmd))
    rec.update(parse_time(os.path.join(a.res, a.key + ".time")))
    logp = os.path.join(a.res, a.key + ".log")
    log = open(logp, errors="replace").read() if os.path.exists(logp) else ""
    if a.kind == "gram":
        m = re.search(r"RESULT gram go (.*)", log)
        if m:
            rec["compute_s"] = float(kv(m.group(1))["best"])
        m = re.search(r"gram_stack\s+workers=(\d+): best ([\d.]+) s", log)
        if m:
            rec["compute_s"] = float(m.group(2))
            rec["py_workers"] = int(m.group(1))
        m = re.search(r"X.X\^T alone.*?: ([\d.]+) s", log) or re.search(r"X·Xᵀ alone.*?: ([\d.]+) s", log)
        if m:
            rec["xxt_s"] = float(m.group(1))
        m = re.search(r"gram_go: n=(\d+) m=(\d+) L=(\d+)", log) or \
            re.search(r"problem: n = n2 = (\d+) \(Z = X\), m = (\d+), depth L = (\d+)", log)
        if m:
            rec["n"], rec["m"], rec["L"] = (int(g) for g in m.groups())
    elif a.kind == "chol":
        rec["chol"] = {}
        for line in re.findall(r"RESULT cholesky \w+ (.*)", log):
            d = kv(line)
            rec["chol"][d["n"]] = dict(best_s=float(d["best"]), gflops=float(d["gflops"]))
        for line in re.findall(r"RAW dpotrf (.*)", log):
            d = kv(line)
            rec.setdefault("raw", {}).setdefault(d["uplo"], {})[d["n"]] = float(d["gflops"])
        m = re.search(r"(OpenBLAS \d[^\n]*)", log)
        if m:
            rec["blas"] = m.group(1).strip()
    if a.report and os.path.exists(a.report):
        r = json.load(open(a.report))
        keep = ("timings", "factorizations", "iterations", "objective", "fw_gap", "status",
                "test_accuracy", "train_accuracy", "omega", "kernel_scale", "class_seconds")
        rec["report"] = {k: r[k] for k in keep if k in r}
        if "build" in r:
            rec["report"]["backend"] = r["build"].get("blas_backend") or r["build"].get("backend")
        if "config" in r:
            rec["report"]["depth"] = r["config"]["kernel"]["depth"] if "kernel" in r["config"] else None
            rec["report"]["workers_flag"] = r["config"].get("workers")
        if "data" in r:
            rec["report"]["n_train"] = r["data"].get("n_train")
        else:
            rec["report"]["n_train"] = r.get("n_train")
            rec["report"]["depth"] = r.get("depth")
    json.dump(rec, open(os.path.join(a.res, a.key + ".json"), "w"), indent=1)


def load(res):
    recs = {}
    for p in glob.glob(os.path.join(res, "*.json")):
        if p.endswith(".out.json"):
            continue
        r = json.load(open(p))
        recs[r["key"]] = r
    return recs


def merged(R, base, kind):
    """The rounds base, base@r2, ... of one measurement merged into one record: for a
    Gram the round with the least compute time (all rounds in 'rounds'), for a Cholesky
    the best GFLOP/s per size (all in 'all'), load the range over the rounds."""
    rs = [r for k, r in R.items() if k.split("@")[0] == base]
    if not rs:
        return None
    lo = min(r["load_before"] for r in rs)
    hi = max(max(r["load_before"], r["load_after"]) for r in rs)
    if kind == "gram":
        key = lambda r: r.get("compute_s", r.get("wall_s", 1e300)) or 1e300
        best = dict(min(rs, key=key))
        best["rounds"] = sorted(key(r) for r in rs)
    else:
        best = dict(rs[0])
        best["chol"] = {}
        for r in rs:
            for n, v in r.get("chol", {}).items():
                b = best["chol"].setdefault(n, dict(v, all=[]))
                b["all"].append(v["gflops"])
                if v["gflops"] > b["gflops"]:
                    b.update(best_s=v["best_s"], gflops=v["gflops"])
    if kind == "chol":
        raw = {}
        for r in rs:
            for u, d in r.get("raw", {}).items():
                for n, v in d.items():
                    raw.setdefault(u, {}).setdefault(n, []).append(v)
        best["raw"] = raw
    best["load_range"] = (lo, hi)
    best["n_rounds"] = len(rs)
    return best


def fmt(v, f="%.2f", none="—"):
    return none if v is None else f % v


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def table(a):
    R = load(a.res)
    g = lambda k: R.get(k)
    out = []
    p = out.append

    def load_s(r):
        if r and "load_range" in r:
            return "%.2f–%.2f" % r["load_range"]
        return "%.2f→%.2f" % (r["load_before"], r["load_after"]) if r else "—"

    # ---- gram
    p("== (a) Gram stack, n=%d m=784 L=%d (unit-norm MNIST digits; seconds)" % (a.gram_n, a.gram_l))
    p("%-44s %10s %10s %9s %9s %12s  %s" % ("program", "compute s", "X·Xᵀ s", "cpu s", "max RSS",
                                              "load", "all rounds (s)"))
    rows = [("ntkmkl pure Go (ntk.Config.Stack)", "gram_go_pure"),
            ("ntkmkl -tags openblas (ntk.Config.Stack)", "gram_go_ob"),
            ("numpy ntk_reference.gram_stack (%s threads)" % a.workers, "gram_numpy")]
    G = {k: merged(R, k, "gram") for _, k in rows + [("", "gram_cli_ob")]}
    for name, k in rows:
        r = G[k]
        if r:
            p("%-44s %10s %10s %9s %8.2fG %12s  %s" % (name, fmt(r.get("compute_s"), "%.3f"),
                                                     fmt(r.get("xxt_s"), "%.3f"),
                                                     fmt(r.get("user_s", 0) + r.get("sys_s", 0), "%.1f"),
                                                     r.get("max_rss_kb", 0) / 2 ** 20, load_s(r),
                                                     " ".join("%.3f" % v for v in r["rounds"])))
    r = G["gram_cli_ob"]
    if r:
        p("%-44s %10s %10s %9s %8.2fG %12s  %s  (wall: read X, compute, write .npy to /dev/shm)"
          % ("`ntkmkl gram` -tags openblas, end to end", fmt(r.get("wall_s"), "%.3f"), "",
             fmt(r.get("user_s", 0) + r.get("sys_s", 0), "%.1f"),
             r.get("max_rss_kb", 0) / 2 ** 20, load_s(r), " ".join("%.3f" % v for v in r["rounds"])))
    p("  compute s: the stack alone, best round (wall); cpu s: user+sys of the whole process of that"
      " round (/usr/bin/time; includes reading X and the extra X·Xᵀ-alone timing)")
    npy = (G["gram_numpy"] or {}).get("compute_s")
    for name, k in rows[:2]:
        t = (G[k] or {}).get("compute_s")
        rt = ratio(npy, t)
        if rt:
            p("  numpy / %-36s = %.2f×   goal (a) ≥ 2×: %s" % (name, rt, "MET" if rt >= 2 else "NOT MET"))
    p("")

    # ---- cholesky
    p("== (b) Cholesky GFLOP/s (n³/3 flops, best of the repeats; all BLAS threads)")
    cg, co, cs = (merged(R, k, "chol") for k in ("chol_go_pure", "chol_go_ob", "chol_scipy"))
    ns = sorted({int(n) for r in (cg, co, cs) if r for n in r.get("chol", {})})
    p("%-8s %14s %14s %14s %14s" % ("n", "Go pure", "Go openblas", "scipy dpotrf", "ob / scipy"))
    for n in ns:
        v = [((r or {}).get("chol", {}).get(str(n)) or {}).get("gflops") for r in (cg, co, cs)]
        rt = ratio(v[1], v[2])
        p("%-8d %14s %14s %14s %14s  goal (b) ≥ 0.80: %s" % (
            n, fmt(v[0], "%.1f"), fmt(v[1], "%.1f"), fmt(v[2], "%.1f"), fmt(rt, "%.2f"),
            "—" if rt is None else ("MET" if rt >= 0.8 else "NOT MET")))
    c1, s1 = merged(R, "chol_go_ob_t1", "chol"), merged(R, "chol_scipy_t1", "chol")
    if c1 or s1:
        p("  one BLAS thread (as ntkmkl fit factors: one class per core):")
        for n in ns:
            v1 = ((c1 or {}).get("chol", {}).get(str(n)) or {}).get("gflops")
            v2 = ((s1 or {}).get("chol", {}).get(str(n)) or {}).get("gflops")
            p("%-8d %14s %14s %14s %14s" % (n, "", fmt(v1, "%.1f"), fmt(v2, "%.1f"), fmt(ratio(v1, v2), "%.2f")))
    for name, r in (("all threads", co), ("1 thread", c1)):
        if r and r.get("raw"):
            p("  raw OpenBLAS dpotrf called from Go, %s, best GFLOP/s: %s" % (name, "; ".join(
                "uplo %s: %s" % (u, " ".join("n=%s %.1f" % (n, max(v)) for n, v in
                                             sorted(d.items(), key=lambda kv: int(kv[0]))))
                for u, d in sorted(r["raw"].items()))))
    p("    (krr factors its row-major upper triangle = Fortran uplo L; scipy above uses U)")
    for name, r in (("Go pure", cg), ("Go openblas", co), ("scipy", cs), ("Go ob 1 thr", c1),
                    ("scipy 1 thr", s1)):
        if r:
            p("  %-12s load %s, %d round(s), GFLOP/s per round: %s  %s" % (
                name, load_s(r), r["n_rounds"], "; ".join(
                    "n=%s %s" % (n, " ".join("%.1f" % x for x in v["all"]))
                    for n, v in sorted(r["chol"].items(), key=lambda kv: int(kv[0]))),
                r.get("blas", "")))
    p("")

    # ---- fit
    p("== (c) exact fit, n=%d train + 1000 test, L=10, λ=1e-3, tol 1e-6 (same .npy files)" % a.n)
    hdr = "%-30s %8s %8s %8s %8s %6s %10s %8s %8s %12s" % (
        "program", "wall s", "gram s", "mkl s", "pred s", "facts", "max gap/J", "test acc",
        "max RSS", "load")
    p(hdr)
    fits = [("ntkmkl openblas newton", "fit_ob_n%d_L10_newton" % a.n),
            ("ntkmkl openblas gradient", "fit_ob_n%d_L10_gradient" % a.n),
            ("ntkmkl pure Go newton", "fit_go_n%d_L10_newton" % a.n),
            ("numpy/scipy newton", "fit_scipy_n%d_L10_newton" % a.n),
            ("numpy/scipy gradient", "fit_scipy_n%d_L10_gradient" % a.n)]
    walls = {}
    for name, k in fits:
        r = g(k)
        if not r:
            continue
        rep = r.get("report", {})
        t = rep.get("timings", {})
        gaps = [gp / abs(j) for gp, j in zip(rep.get("fw_gap", []), rep.get("objective", []))]
        walls[k] = r.get("wall_s")
        p("%-30s %8s %8s %8s %8s %6s %10s %8s %7.2fG %12s%s" % (
            name, fmt(r.get("wall_s"), "%.1f"), fmt(t.get("gram"), "%.1f"), fmt(t.get("mkl"), "%.1f"),
            fmt(t.get("predict"), "%.1f"), sum(rep.get("factorizations", [])) or "—",
            fmt(max(gaps) if gaps else None, "%.1e"), fmt(rep.get("test_accuracy"), "%.4f"),
            r.get("max_rss_kb", 0) / 2 ** 20, load_s(r), "" if r["rc"] == "0" else "  FAILED rc=" + r["rc"]))
        if "mkl_form" in t:
            p("%30s   scipy mkl stages: %s" % ("", " ".join(
                "%s %.1f" % (k2[4:], v) for k2, v in sorted(t.items()) if k2.startswith("mkl_"))))
    ob_n, ob_g = walls.get(fits[0][1]), walls.get(fits[1][1])
    py_n, py_g = walls.get(fits[3][1]), walls.get(fits[4][1])
    if ob_n:
        p("  ntkmkl openblas newton wall %.1f s: goal (c) < 600 s: %s" % (ob_n, "MET" if ob_n < 600 else "NOT MET"))
    for lab, num, den in (("scipy gradient / ntkmkl newton (default)", py_g, ob_n),
                          ("scipy gradient / ntkmkl gradient (same algorithm)", py_g, ob_g),
                          ("scipy newton / ntkmkl newton (same algorithm)", py_n, ob_n)):
        rt = ratio(num, den)
        if rt:
            p("  %-52s = %.2f×   (goal (c) ≥ 3×: %s)" % (lab, rt, "MET" if rt >= 3 else "NOT MET"))
    # agreement of the objectives
    base = (g(fits[0][1]) or {}).get("report", {}).get("objective")
    for name, k in fits[1:]:
        o = (g(k) or {}).get("report", {}).get("objective")
        if base and o and len(o) == len(base):
            p("  max |J_c − J_c(ntkmkl newton)|/J_c, %-26s %.1e" % (
                name + ":", max(abs(x - y) / abs(y) for x, y in zip(o, base))))
    p("")

    # ---- scaling
    p("== (d) scaling, ntkmkl -tags openblas, newton (wall and max RSS from /usr/bin/time -v)")
    p("%-7s %4s %8s %8s %8s %6s %9s %9s %7s %12s" % ("n", "L", "wall s", "gram s", "mkl s",
                                                   "facts", "max RSS", "model", "RSS/mod", "load"))
    seen = set()
    pts = [(int(n), 10) for n in a.scale_n.split()] + [(a.scale_ln, int(L)) for L in a.scale_l.split()] + \
          [(a.rss_n, 10)]
    for n, L in pts:
        if (n, L) in seen:
            continue
        seen.add((n, L))
        r = g("fit_ob_n%d_L%d_newton" % (n, L))
        if not r:
            continue
        rep = r.get("report", {})
        t = rep.get("timings", {})
        model = (L + a.workers) * n * n * 8
        rss = r.get("max_rss_kb", 0) * 1024
        p("%-7d %4d %8s %8s %8s %6s %8.2fG %8.2fG %7.2f %12s" % (
            n, L, fmt(r.get("wall_s"), "%.1f"), fmt(t.get("gram"), "%.1f"), fmt(t.get("mkl"), "%.1f"),
            sum(rep.get("factorizations", [])) or "—", rss / 2 ** 30, model / 2 ** 30, rss / model,
            load_s(r)))
    p("  model = stack bytes L·n²·8 + workers·n²·8 with workers = %d (= min(cores, classes)); G = GiB" % a.workers)
    p("")

    # ---- rss goal
    r = g("fit_ob_n%d_L10_newton" % a.rss_n)
    p("== (e) peak RSS of an exact fit at n=%d, L=10" % a.rss_n)
    if r:
        model = (10 + a.workers) * a.rss_n ** 2 * 8
        rss = r.get("max_rss_kb", 0) * 1024
        p("  max RSS %.3f GiB, model %.3f GiB (stack %.3f + %d × %.3f): ratio %.3f   goal (e) ≤ 1.25: %s" % (
            rss / 2 ** 30, model / 2 ** 30, 10 * a.rss_n ** 2 * 8 / 2 ** 30, a.workers,
            a.rss_n ** 2 * 8 / 2 ** 30, rss / model, "MET" if rss / model <= 1.25 else "NOT MET"))
    p("")
    p("commands (one per measurement):")
    for k in sorted(R):
        p("  %-28s %s" % (k, R[k]["cmd"]))
    print("\n".join(out))


def main():
    argv = sys.argv[1:]
    cmd = []
    if "--" in argv:
        i = argv.index("--")
        argv, cmd = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("record", "table"))
    ap.add_argument("--res", required=True)
    ap.add_argument("--key")
    ap.add_argument("--kind")
    ap.add_argument("--rc", default="0")
    ap.add_argument("--load-before", default="0")
    ap.add_argument("--load-after", default="0")
    ap.add_argument("--report", default="")
    ap.add_argument("--n", type=int)
    ap.add_argument("--gram-n", type=int)
    ap.add_argument("--gram-l", type=int)
    ap.add_argument("--scale-n", default="")
    ap.add_argument("--scale-l", default="")
    ap.add_argument("--scale-ln", type=int)
    ap.add_argument("--rss-n", type=int)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    a = ap.parse_args(argv)
    if a.mode == "record":
        record(a, cmd)
    else:
        table(a)


if __name__ == "__main__":
    main()
