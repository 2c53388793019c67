#!/usr/bin/python3
"""GFLOP/s of LAPACK dpotrf through scipy (the OpenBLAS that numpy/scipy load), counting
n^3/3 flops, best of --repeat runs, on a random symmetric diagonally dominant (so SPD)
matrix, in Fortran order and factored in place (no copy inside the timed call).

    cholesky.py [--n 4000,8000] [--repeat 3] [--seed 0]

Prints one line per size:  RESULT cholesky scipy n=N best=S gflops=G [all times].
Both scipy.linalg.lapack.dpotrf (overwrite_a) and scipy.linalg.cho_factor are timed;
the RESULT is the better of the two (they call the same dpotrf)."""

import argparse
import os
import sys
import time

import numpy as np
import scipy
import scipy.linalg
from scipy.linalg import lapack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def openblas_config():
    import ctypes
    with open("/proc/self/maps") as f:
        paths = sorted({l.split()[-1] for l in f if "openblas" in l.split()[-1]})
    for p in paths:
        try:
            lib = ctypes.CDLL(p)
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return "%s | core %s | threads %d | %s" % (
                lib.openblas_get_config().decode(), lib.openblas_get_corename().decode(),
                lib.openblas_get_num_threads(), p)
        except (OSError, AttributeError):
            pass
    return "no OpenBLAS loaded: " + " ".join(paths)


def spd(n, rng):
    a = rng.random((n, n))
    a += a.T
    a *= 0.5
    a.flat[::n + 1] += n          # diagonally dominant: SPD
    return np.asfortranarray(a)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", default="4000,8000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    lapack.dpotrf(spd(64, rng))                      # load LAPACK before printing its config
    print("numpy %s scipy %s; %s" % (np.__version__, scipy.__version__, openblas_config()))
    for n in [int(s) for s in a.n.split(",") if s]:
        base = spd(n, rng)
        times = {"dpotrf": [], "cho_factor": []}
        for _ in range(a.repeat):
            for how in times:
                w = base.copy(order="F")
                t0 = time.perf_counter()
                if how == "dpotrf":
                    c, info = lapack.dpotrf(w, lower=0, clean=0, overwrite_a=1)
                    assert info == 0
                else:
                    c, _ = scipy.linalg.cho_factor(w, lower=False, overwrite_a=True,
                                                   check_finite=False)
                times[how].append(time.perf_counter() - t0)
                assert np.shares_memory(c, w)
        best = min(min(v) for v in times.values())
        flops = n ** 3 / 3.0
        print("RESULT cholesky scipy n=%d best=%.3f gflops=%.1f  dpotrf [%s] cho_factor [%s]"
              " load %.2f" % (n, best, flops / best / 1e9,
                              " ".join("%.3f" % t for t in times["dpotrf"]),
                              " ".join("%.3f" % t for t in times["cho_factor"]),
                              os.getloadavg()[0]))


if __name__ == "__main__":
    main()
