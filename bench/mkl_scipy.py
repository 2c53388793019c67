#!/usr/bin/python3
"""numpy/scipy baseline of ntkmkl's exact fit (benchmark harness, not the product).

The same math as `ntkmkl fit` (README "What it computes", DESIGN.md sections 2-4),
written as a competent numpy/scipy user would: vectorized, BLAS/LAPACK-backed.

  data     .npy files (bench/export_mnist.py), each input row scaled to unit L2 norm
           (ntkmkl's --normalize unit); one-hot {0,1} targets.
  kernels  bench/ntk_reference.gram_stack (X.X^T through BLAS, the L-layer recursion
           vectorized on 512x512 tiles, upper tiles mirrored, tiles on a thread pool);
           each layer divided by the mean of its diagonal, s_l.
  per class c, over the simplex (start 1/L):
           J(mu) = lam y^T (K_mu + lam I)^-1 y, K_mu = sum_l mu_l K~_l
           formed in one preallocated n x n buffer (BLAS daxpy), factored in place by
           scipy.linalg.cho_factor (LAPACK dpotrf), alpha by cho_solve (dpotrs),
           grad_l = -lam alpha^T K~_l alpha from one gemv over the whole (L n) x n stack.
           --solver gradient: projected gradient with the exact sort-based simplex
             projection, Barzilai-Borwein first step, backtracking until
             J(mu+) <= J(mu) + g^T(mu+ - mu) + |mu+ - mu|^2/(2 eta) (and J(mu+) <= J(mu)).
           --solver newton: Hessian 2 lam (K~_l alpha)^T (K_mu+lam I)^-1 (K~_k alpha) from
             the factor at hand (one dpotrs with L right-hand sides), quadratic model
             minimized over the simplex (SLSQP), Armijo line search on J.
           stop at Frank-Wolfe gap g^T mu - min_l g_l <= tol |J|.
  test     cross stack K~_l(test, train) by the same reference, f_c = sum_l mu_cl K~_l alpha_c,
           argmax over classes.

    mkl_scipy.py --train-x X.npy --train-y y.npy [--test-x ... --test-y ...] --depth 10
                 [--lambda 1e-3] [--tol 1e-6] [--solver gradient|newton] [--max-iter 1000]
                 [--workers NCPU] [--json out.json]

Prints a per-class table and a RESULT line; --json writes timings (gram, mkl, predict,
total, and inside mkl: form, factor, solve, gemv, hessian, qp), factorizations, objective,
fw_gap, iterations, omega, kernel_scale and accuracies.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import scipy.linalg
from scipy.linalg import blas as sblas

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ntk_reference as R  # noqa: E402


def unit_rows(x):
    s = np.linalg.norm(x, axis=1)
    s[s == 0] = 1
    x *= (1.0 / s)[:, None]
    return x


def project_simplex(v):
    """Euclidean projection onto {mu >= 0, sum mu = 1} (sort-based)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    k = np.arange(1, len(v) + 1)
    rho = np.nonzero(u - css / k > 0)[0][-1]
    theta = css[rho] / (rho + 1)
    return np.maximum(v - theta, 0.0)


class Timer:
    def __init__(self):
        self.t = {}

    def add(self, k, dt):
        self.t[k] = self.t.get(k, 0.0) + dt


class Evaluator:
    """J, gradient and Hessian of one class; owns one n x n work buffer."""

    def __init__(self, K, lam, timer):
        self.K = K                              # (L, n, n), scaled, C-contiguous
        self.L, self.n = K.shape[0], K.shape[1]
        self.Kflat = K.reshape(self.L * self.n, self.n)
        self.lam = lam
        self.work = np.empty((self.n, self.n))
        self.T = timer
        self.count = 0

    def eval(self, mu, y):
        T, K, W, lam, n = self.T, self.K, self.work, self.lam, self.n
        t0 = time.perf_counter()
        nz = [l for l in range(self.L) if mu[l] != 0]
        np.multiply(K[nz[0]], mu[nz[0]], out=W)
        wf = W.reshape(-1)
        for l in nz[1:]:
            sblas.daxpy(K[l].reshape(-1), wf, a=mu[l])   # in place: W += mu_l K_l
        W.flat[::n + 1] += lam
        t1 = time.perf_counter()
        # W is symmetric and C-contiguous: W.T is the same matrix, Fortran-ordered,
        # so LAPACK factors it in place (no copy).
        cf = scipy.linalg.cho_factor(W.T, lower=False, overwrite_a=True, check_finite=False)
        t2 = time.perf_counter()
        alpha = scipy.linalg.cho_solve(cf, y, check_finite=False)
        t3 = time.perf_counter()
        U = (self.Kflat @ alpha).reshape(self.L, n)      # row l = K~_l alpha
        grad = -lam * (U @ alpha)
        t4 = time.perf_counter()
        T.add("form", t1 - t0)
        T.add("factor", t2 - t1)
        T.add("solve", t3 - t2)
        T.add("gemv", t4 - t3)
        self.count += 1
        self.cf, self.U, self.alpha = cf, U, alpha
        return lam * float(y @ alpha), grad

    def hessian(self):
        t0 = time.perf_counter()
        Wsol = scipy.linalg.cho_solve(self.cf, self.U.T, check_finite=False)   # n x L
        P = self.U @ Wsol
        H = self.lam * (P + P.T)
        self.T.add("hessian", time.perf_counter() - t0)
        return H


def fw_gap(g, mu):
    return float(g @ mu - g.min())


def qp_simplex(H, g, mu, timer):
    """argmin_t g^T (t - mu) + 1/2 (t - mu)^T H (t - mu) over the simplex."""
    from scipy.optimize import minimize
    t0 = time.perf_counter()
    L = len(mu)
    f = lambda t: float(g @ (t - mu) + 0.5 * (t - mu) @ H @ (t - mu))
    jac = lambda t: g + H @ (t - mu)
    r = minimize(f, mu.copy(), jac=jac, method="SLSQP", bounds=[(0.0, 1.0)] * L,
                 constraints=[{"type": "eq", "fun": lambda t: t.sum() - 1.0,
                               "jac": lambda t: np.ones(L)}],
                 options={"ftol": 1e-16, "maxiter": 500})
    t = project_simplex(r.x)
    timer.add("qp", time.perf_counter() - t0)
    return t


def solve_class(ev, y, L, solver, tol, max_iter):
    mu = np.full(L, 1.0 / L)
    ev.count = 0
    j, g = ev.eval(mu, y)
    current = True
    prev = None          # (mu, g) of the previous iterate, for Barzilai-Borwein
    eta_last = 0.0
    H = None
    status = "iteration-limit"
    it = 0
    trace = []
    while True:
        gap = fw_gap(g, mu)
        trace.append((j, gap))
        if gap <= tol * abs(j):
            status = "converged"
            break
        if it >= max_iter:
            break
        it += 1
        stepped = False
        if solver == "newton":
            if H is None:
                if not current:
                    j, g = ev.eval(mu, y)
                    current = True
                H = ev.hessian()
            target = qp_simplex(H, g, mu, ev.T)
            d = target - mu
            slope = float(g @ d)
            if slope < 0:
                t = 1.0
                for _ in range(40):
                    trial = project_simplex(mu + t * d)
                    jt, gt = ev.eval(trial, y)
                    current = True
                    if jt <= j + 1e-4 * t * slope:
                        mu, g, j = trial, gt, jt
                        H = ev.hessian()
                        stepped = True
                        break
                    current = False
                    t /= 2
                if not stepped:
                    status = "stalled"
                    break
                continue
            H = None    # no descent in the model: fall back to a gradient step
        # projected gradient step with backtracking
        eta = 0.0
        if prev is not None:
            s = mu - prev[0]
            yy = g - prev[1]
            ss, sy = float(s @ s), float(s @ yy)
            if sy > 0 and ss > 0:
                eta = ss / sy
            elif eta_last > 0:
                eta = 2 * eta_last
        if eta == 0.0:
            gi = float(np.max(np.abs(g)))
            eta = 1.0 if gi == 0 else 1.0 / (L * gi)
        for _ in range(40):
            trial = project_simplex(mu - eta * g)
            d = trial - mu
            dd = float(d @ d)
            if dd == 0:
                break
            jt, gt = ev.eval(trial, y)
            current = True
            if jt <= j + float(g @ d) + dd / (2 * eta) and jt <= j:
                prev = (mu, g)
                mu, g, j, eta_last = trial, gt, jt, eta
                stepped = True
                break
            current = False
            eta /= 2
        if not stepped:
            status = "stalled"
            break
    if not current:
        j, g = ev.eval(mu, y)
    return dict(weights=mu, objective=j, gap=fw_gap(g, mu), iterations=it,
                factorizations=ev.count, status=status, alpha=ev.alpha.copy(), trace=trace)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train-x", required=True)
    ap.add_argument("--train-y", required=True)
    ap.add_argument("--test-x")
    ap.add_argument("--test-y")
    ap.add_argument("--depth", type=int, default=10)
    ap.add_argument("--lambda", dest="lam", type=float, default=1e-3)
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--solver", choices=("gradient", "newton"), default="gradient")
    ap.add_argument("--max-iter", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                    help="threads for the elementwise Gram work (BLAS uses its own)")
    ap.add_argument("--json")
    a = ap.parse_args()

    t_start = time.perf_counter()
    T = Timer()
    X = unit_rows(np.load(a.train_x).astype(np.float64))
    ylab = np.load(a.train_y).astype(np.int64)
    n = X.shape[0]
    classes = np.unique(ylab)
    Y = (ylab[:, None] == classes[None, :]).astype(np.float64)
    L = a.depth
    T.add("load", time.perf_counter() - t_start)

    t0 = time.perf_counter()
    K = R.gram_stack(X, None, L, "relu", 2.0, 0.0, 1.0, "ntk", workers=a.workers)
    scale = np.einsum("lii->l", K) / n
    for l in range(L):
        K[l] *= 1.0 / scale[l]
    t_gram = time.perf_counter() - t0

    t0 = time.perf_counter()
    ev = Evaluator(K, a.lam, T)
    res = []
    for c in range(len(classes)):
        tc = time.perf_counter()
        r = solve_class(ev, np.ascontiguousarray(Y[:, c]), L, a.solver, a.tol, a.max_iter)
        r["seconds"] = time.perf_counter() - tc
        res.append(r)
    t_mkl = time.perf_counter() - t0
    ev.work = None

    t0 = time.perf_counter()
    Alpha = np.stack([r["alpha"] for r in res], axis=1)       # n x d
    Omega = np.stack([r["weights"] for r in res], axis=0)     # d x L
    fitted = Y - a.lam * Alpha
    train_acc = float(np.mean(classes[np.argmax(fitted, axis=1)] == ylab))
    test_acc = None
    if a.test_x:
        Xt = unit_rows(np.load(a.test_x).astype(np.float64))
        yt = np.load(a.test_y).astype(np.int64)
        Kx = R.gram_stack(Xt, X, L, "relu", 2.0, 0.0, 1.0, "ntk", workers=a.workers)
        scores = np.zeros((Xt.shape[0], len(classes)))
        for l in range(L):
            scores += (Kx[l] @ Alpha) * (Omega[:, l] / scale[l])[None, :]
        del Kx
        test_acc = float(np.mean(classes[np.argmax(scores, axis=1)] == yt))
    t_pred = time.perf_counter() - t0
    total = time.perf_counter() - t_start

    print("mkl_scipy: n=%d L=%d lambda=%g tol=%g solver=%s, numpy %s scipy %s"
          % (n, L, a.lam, a.tol, a.solver, np.__version__, scipy.__version__))
    print("%5s %14s %10s %9s %6s %6s %9s %s" % ("class", "J_c", "FW gap", "gap/|J|", "iters",
                                              "facts", "seconds", "status"))
    for c, r in zip(classes, res):
        print("%5d %14.8g %10.2e %9.1e %6d %6d %9.2f %s" % (
            c, r["objective"], r["gap"], r["gap"] / abs(r["objective"]), r["iterations"],
            r["factorizations"], r["seconds"], r["status"]))
    print("train accuracy %.4f, test accuracy %s" % (
        train_acc, "n/a" if test_acc is None else "%.4f" % test_acc))
    inner = " ".join("%s %.1f" % kv for kv in sorted(T.t.items()))
    print("time %.1fs (gram %.1fs, mkl %.1fs [%s], predict %.1fs)"
          % (total, t_gram, t_mkl, inner, t_pred))
    print("RESULT mkl_scipy n=%d L=%d solver=%s total=%.2f gram=%.2f mkl=%.2f predict=%.2f "
          "factorizations=%d test_accuracy=%s" % (
              n, L, a.solver, total, t_gram, t_mkl, t_pred,
              sum(r["factorizations"] for r in res), test_acc))
    if a.json:
        out = dict(n_train=n, depth=L, solver=a.solver, lam=a.lam, tol=a.tol,
                   classes=classes.tolist(), kernel_scale=scale.tolist(),
                   omega=Omega.tolist(), objective=[r["objective"] for r in res],
                   fw_gap=[r["gap"] for r in res], iterations=[r["iterations"] for r in res],
                   factorizations=[r["factorizations"] for r in res],
                   status=[r["status"] for r in res], class_seconds=[r["seconds"] for r in res],
                   train_accuracy=train_acc, test_accuracy=test_acc,
                   timings=dict(gram=t_gram, mkl=t_mkl, predict=t_pred, total=total,
                                **{"mkl_" + k: v for k, v in T.t.items()}),
                   numpy=np.__version__, scipy=scipy.__version__)
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
