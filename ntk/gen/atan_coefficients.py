#!/usr/bin/python3
"""Coefficients of the polynomial in ntk/angle.go, and a check of their accuracy.

atan(t) = t + t*z*P(z), z = t*t, for |t| <= tan(pi/8) (the range that atan2's
reduction by octants and by pi/4 leaves).  P has degree DEG and is fitted at
Chebyshev nodes of [0, ZMAX] in 60-digit arithmetic, weighted by z (the error
of P enters atan(t)/t multiplied by z), by least squares; at these sizes that is
within a few percent of the minimax polynomial.  The script prints the Go
constants and the largest error, in float64 ulps of atan(t), of the float64
evaluation the Go code does, over a dense grid of t.

    /usr/bin/python3 ntk/gen/atan_coefficients.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 60
DEG = 10  # atanPoly (and estrin below) is written for degree 10
ZMAX = mp.mpf(0.1716) * mp.mpf("1.0005")  # tan(pi/8)^2 = 0.171573, with margin for rounding of t


def P(z):
    t = mp.sqrt(z)
    return (mp.atan(t) / t - 1) / z


def fit(deg, nodes=400):
    zs = [ZMAX / 2 * (1 - mp.cos(mp.pi * (k + mp.mpf(0.5)) / nodes)) for k in range(nodes)]
    A = mp.matrix(nodes, deg + 1)
    b = mp.matrix(nodes, 1)
    for i, z in enumerate(zs):
        w = z  # weight: the error of atan(t)/t is z times the error of P
        for j in range(deg + 1):
            A[i, j] = w * z ** j
        b[i] = w * P(z)
    # normal equations in 60 digits are accurate enough for degree ~12
    coef = mp.lu_solve(A.T * A, A.T * b)
    return [coef[j] for j in range(deg + 1)]


def fma(a, b, c):
    """a*b + c rounded once to float64."""
    return float(mp.mpf(a) * mp.mpf(b) + mp.mpf(c))


def estrin(z, c):
    """atanPoly of ntk/angle.go, operation for operation."""
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    b0 = fma(fma(c[3], z, c[2]), z2, fma(c[1], z, c[0]))
    b1 = fma(fma(c[7], z, c[6]), z2, fma(c[5], z, c[4]))
    b2 = fma(c[10], z2, fma(c[9], z, c[8]))
    return fma(b2, z8, fma(b1, z4, b0))


def main():
    coef = fit(DEG)
    c64 = [float(ck) for ck in coef]
    print("// P(z), constant term first, degree %d" % DEG)
    for k, ck in enumerate(c64):
        print("\t%s," % repr(ck))
    # the float64 evaluation of ntk/angle.go, each fused multiply-add rounded once:
    # Estrin's scheme in z, w = t*z rounded, then atan = fma(w, p, t)
    worst = 0.0
    tmax = float(mp.tan(mp.pi / 8))
    for t in np.concatenate([np.linspace(-tmax, tmax, 20001), np.geomspace(1e-300, tmax, 2001)]):
        t = float(t)
        if t == 0:
            continue
        z = t * t
        p = estrin(z, c64)
        w = t * z
        r = fma(w, p, t)
        exact = mp.atan(mp.mpf(t))
        ulp = float(np.spacing(abs(float(exact))))
        worst = max(worst, abs(float(mp.mpf(r) - exact)) / ulp)
    print("// max error %.3f ulp over |t| <= tan(pi/8)" % worst)


if __name__ == "__main__":
    main()
