#!/usr/bin/python3
"""Benchmark: the vectorized numpy NTK/NNGP Gram-stack recursion (DESIGN.md section 2).

Times bench/ntk_reference.gram_stack -- the same code the correctness checks use --
on random data: X.Z^T through numpy's BLAS (one call per row stripe), then the
L-layer elementwise recursion on block x block tiles (in place, temporaries bounded
by the tile size), the upper triangle only when Z = X (mirrored), optionally with the
tiles spread over a thread pool (numpy ufuncs release the GIL).

    python3 bench/gram_numpy.py [--n 4000] [--m 784] [--depth 10] [--activation relu]
                                [--kind ntk] [--block 512] [--workers 1,NCPU] [--repeat 1]
                                [--x X.npy]

--x takes the inputs from a .npy file (used as given, like `ntkmkl gram --x`) instead of
random [0, 1) data; --n and --m are then ignored.
"""

import argparse
import ctypes
import io
import os
import platform
import sys
import time
from contextlib import redirect_stdout

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ntk_reference as R  # noqa: E402


def blas_report():
    lines = ["numpy %s, python %s, %s, %d CPUs (affinity %d)" % (
        np.__version__, platform.python_version(), platform.machine(),
        os.cpu_count(), len(os.sched_getaffinity(0)))]
    try:
        from threadpoolctl import threadpool_info
        for d in threadpool_info():
            lines.append("threadpoolctl: %s %s %s threads=%s arch=%s" % (
                d.get("internal_api"), d.get("version"), d.get("filepath"),
                d.get("num_threads"), d.get("architecture")))
    except ImportError:
        lines.append("threadpoolctl: not installed")
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            base = os.path.basename(path)
            if any(k in base for k in ("blas", "lapack", "mkl", "blis")):
                libs.add(os.path.realpath(path))
    cfg_done = False
    for p in sorted(libs):
        lines.append("loaded: " + p)
        if cfg_done:
            continue
        try:
            lib = ctypes.CDLL(p)
            if hasattr(lib, "openblas_get_config"):
                lib.openblas_get_config.restype = ctypes.c_char_p
                lib.openblas_get_corename.restype = ctypes.c_char_p
                lines.append("  openblas_get_config: %s | corename %s | num_threads %d" % (
                    lib.openblas_get_config().decode(), lib.openblas_get_corename().decode(),
                    lib.openblas_get_num_threads()))
                cfg_done = True
        except OSError:
            pass
    for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if v in os.environ:
            lines.append("%s=%s" % (v, os.environ[v]))
    buf = io.StringIO()
    with redirect_stdout(buf):
        np.show_config()
    raw = buf.getvalue().splitlines()
    cfg = []
    for k, l in enumerate(raw):
        if "NOT AVAILABLE" in l:
            continue
        if l.endswith("_info:") and k + 1 < len(raw) and "NOT AVAILABLE" in raw[k + 1]:
            continue
        cfg.append(l)
    lines.append("numpy.show_config (entries that are available):")
    lines += ["  " + l for l in cfg if l.strip()]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--m", type=int, default=784)
    ap.add_argument("--depth", type=int, default=10)
    ap.add_argument("--activation", choices=R.ACTIVATIONS, default="relu")
    ap.add_argument("--kind", choices=R.KINDS, default="ntk")
    ap.add_argument("--sigma-w2", type=float, default=2.0)
    ap.add_argument("--sigma-b2", type=float, default=0.0)
    ap.add_argument("--sigma-v2", type=float, default=1.0)
    ap.add_argument("--block", type=int, default=512)
    ap.add_argument("--workers", default="1,%d" % len(os.sched_getaffinity(0)),
                    help="comma-separated thread counts for the elementwise part")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quiet-config", action="store_true")
    ap.add_argument("--x", help="inputs .npy (n x m), used as given, instead of random data")
    a = ap.parse_args()

    if not a.quiet_config:
        print(blas_report())
        print()
    L = a.depth
    if a.x:
        X = np.ascontiguousarray(np.load(a.x), dtype=np.float64)
        n, m = X.shape
    else:
        n, m = a.n, a.m
        rng = np.random.default_rng(a.seed)
        X = rng.random((n, m))      # MNIST-like: pixel intensities in [0, 1)

    print("problem: n = n2 = %d (Z = X), m = %d, depth L = %d, %s, kind %s, "
          "sw2 %g sb2 %g sv2 %g, block %d" % (n, m, L, a.activation, a.kind, a.sigma_w2,
                                              a.sigma_b2, a.sigma_v2, a.block))
    print("output: (%d, %d, %d) float64 = %.2f GB" % (L, n, n, L * n * n * 8 / 1e9))

    # BLAS part alone, for context (gram_stack does the same product per row stripe)
    t0 = time.perf_counter()
    G = X @ X.T
    tb = time.perf_counter() - t0
    print("X.X^T alone (numpy matmul -> BLAS): %.3f s  (%.1f GFLOP/s counting 2 n^2 m)"
          % (tb, 2.0 * n * n * m / tb / 1e9))
    del G

    # elementwise work actually done: upper-triangle tiles incl. diagonal tiles
    nb = -(-n // a.block)
    tiles_entries = 0
    for bi in range(nb):
        hi = min((bi + 1) * a.block, n) - bi * a.block
        tiles_entries += hi * (n - bi * a.block)
    results = {}
    out = None
    for w in [int(s) for s in a.workers.split(",") if s]:
        best, best_cpu, alltimes = float("inf"), 0.0, []
        for _ in range(a.repeat):
            out = None
            load = os.getloadavg()[0]
            t0, c0 = time.perf_counter(), time.process_time()
            out = R.gram_stack(X, None, L, a.activation, a.sigma_w2, a.sigma_b2,
                               a.sigma_v2, a.kind, block=a.block, workers=w)
            t, c = time.perf_counter() - t0, time.process_time() - c0
            alltimes.append(t)
            if t < best:
                best, best_cpu = t, c
        results[w] = best
        print("gram_stack  workers=%d: best %.3f s of [%s] (cpu %.2f s; %.2f ns per computed"
              " entry per layer; %d of %d entries computed, rest mirrored; load avg %.2f"
              " before last run)"
              % (w, best, " ".join("%.3f" % x for x in alltimes), best_cpu,
                 best / (tiles_entries * L) * 1e9, tiles_entries, n * n, load))

    # cheap sanity checks on the last result
    assert np.all(np.isfinite(out))
    assert np.array_equal(out, out.transpose(0, 2, 1))
    d = np.einsum("lii->li", out)
    print("sanity: finite, exactly symmetric; mean diagonal per layer: "
          + " ".join("%.4g" % v for v in d.mean(axis=1)))
    print("RESULT n=%d m=%d L=%d %s %s: " % (n, m, L, a.activation, a.kind)
          + ", ".join("workers=%d %.3f s" % kv for kv in results.items()))


if __name__ == "__main__":
    main()
