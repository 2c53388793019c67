#!/usr/bin/python3
"""Independent numpy reference for the infinite-width NTK / NNGP Gram stack.

Implements DESIGN.md section 2 (all depths in one pass) for phi = relu and erf.
Written from the math only; it shares no code with the Go implementation.

    Sigma^1(x,x') = sw2 x.x'/m + sb2          Thg^1 = Sigma^1
    for l = 1..L, (u,v) ~ N(0, [[q(x), Sigma^l], [Sigma^l, q(x')]]):
        E  = E[phi(u) phi(v)],   Ed = E[phi'(u) phi'(v)]
        NTK^(l)  = sv2 (E + Ed Thg^l)
        NNGP^(l) = sv2 E
        Sigma^{l+1} = sw2 E + sb2,   Thg^{l+1} = Sigma^{l+1} + sw2 Ed Thg^l
    q(x) follows the same rule as Sigma, evaluated at x = x'.

Closed forms (exactly what is coded below):

  relu:  c     = q q'
         s     = sqrt(max(c - Sigma^2, 0))          (= sqrt(q q') sin(theta))
         theta = atan2(s, Sigma),  except theta = pi/2 where c == 0
         E     = (s + (pi - theta) Sigma) / (2 pi)
               (= sqrt(q q')/(2 pi) (sin theta + (pi - theta) cos theta))
         Ed    = (pi - theta) / (2 pi)
  erf:   d     = (1 + 2q)(1 + 2q')
         E     = (2/pi) asin(clip(2 Sigma / sqrt(d), -1, 1))
         Ed    = (4/pi) / sqrt(d - 4 Sigma^2)

Note on q = 0: IEEE atan2(0, 0) = 0 (and atan2(0, -0) = pi), which would give
Ed = 1/2 (or 0).  DESIGN.md's convention is theta = pi/2 -> E = 0, Ed = 1/4 (the
mean subgradient relu'(0) = 1/2 times P(v > 0) = 1/2), so that case is special-cased.

CLI:
  ntk_reference.py --x X.npy [--z Z.npy] --depth L --activation relu|erf \
      [--sigma-w2 2] [--sigma-b2 0] [--sigma-v2 1] [--kind ntk|nngp] --out out.npy
  ntk_reference.py --self-test
"""

import argparse
import sys

import numpy as np

ACTIVATIONS = ("relu", "erf")
KINDS = ("ntk", "nngp")


def _pi(dtype):
    return 4 * np.arctan(np.asarray(1, dtype=dtype))


# ---------------------------------------------------------------------------
# elementwise closed forms; q1, q2 broadcast against S
# ---------------------------------------------------------------------------

def relu_moments(q1, q2, S, zero_mask=None):
    """E[relu(u)relu(v)], E[relu'(u)relu'(v)] for (u,v) ~ N(0,[[q1,S],[S,q2]]).

    zero_mask: optional boolean array broadcastable to S, True where q1*q2 == 0;
    computed if not given."""
    pi = _pi(S.dtype)
    c = q1 * q2
    s = c - S * S
    np.maximum(s, 0, out=s)
    np.sqrt(s, out=s)
    th = np.arctan2(s, S)
    if zero_mask is None:
        zero_mask = (c == 0)
    if np.any(zero_mask):
        th = np.where(zero_mask, pi / 2, th)
    # pi - theta, reused
    pmt = np.subtract(pi, th, out=th)
    E = pmt * S
    E += s
    E /= 2 * pi
    Ed = np.divide(pmt, 2 * pi, out=pmt)
    return E, Ed


def relu_moments_literal(q1, q2, S):
    """DESIGN.md's literal form with sin/cos (used only to cross-check)."""
    pi = _pi(np.asarray(S).dtype)
    c = q1 * q2
    th = np.arctan2(np.sqrt(np.maximum(c - S * S, 0)), S)
    th = np.where(c == 0, pi / 2, th)
    E = np.sqrt(c) / (2 * pi) * (np.sin(th) + (pi - th) * np.cos(th))
    Ed = (pi - th) / (2 * pi)
    return E, Ed


def erf_moments(q1, q2, S, zero_mask=None):
    """E[erf(u)erf(v)], E[erf'(u)erf'(v)] for (u,v) ~ N(0,[[q1,S],[S,q2]])."""
    pi = _pi(S.dtype)
    d = (1 + 2 * q1) * (1 + 2 * q2)
    r = np.sqrt(d)
    arg = np.divide(2 * S, r)
    np.clip(arg, -1, 1, out=arg)
    E = np.arcsin(arg, out=arg)
    E *= 2 / pi
    t = S * S
    t *= -4
    t += d
    np.sqrt(t, out=t)
    Ed = np.divide(4 / pi, t, out=t)
    return E, Ed


def _array_safe(fn):
    """Let the in-place moment kernels accept scalars / 0-d arrays too."""
    def wrapped(q1, q2, S, zero_mask=None):
        S = np.asarray(S)
        if not np.issubdtype(S.dtype, np.floating):
            S = S.astype(np.float64)
        shape = np.broadcast(q1, q2, S).shape
        if shape == ():
            E, Ed = fn(np.atleast_1d(q1), np.atleast_1d(q2), np.atleast_1d(S).copy(),
                       None if zero_mask is None else np.atleast_1d(zero_mask))
            return E.reshape(()), Ed.reshape(())
        return fn(q1, q2, S, zero_mask)
    wrapped.__doc__ = fn.__doc__
    return wrapped


relu_moments = _array_safe(relu_moments)
erf_moments = _array_safe(erf_moments)
MOMENTS = {"relu": relu_moments, "erf": erf_moments}


# ---------------------------------------------------------------------------
# recursion
# ---------------------------------------------------------------------------

def point_variances(sqnorm, m, depth, activation, sw2, sb2):
    """q^(l)(x) for l = 1..depth, shape (depth, n). sqnorm = ||x||^2."""
    mom = MOMENTS[activation]
    q = sw2 * sqnorm / m + sb2
    out = np.empty((depth,) + q.shape, dtype=q.dtype)
    for l in range(depth):
        out[l] = q
        E, _ = mom(q, q, q.copy())
        q = sw2 * E + sb2
    return out


def _tile(G, qx, qz, m, depth, activation, sw2, sb2, sv2, kind, out):
    """Fill out[l] (depth, b1, b2) from G = Xb Zb^T and per-point variances
    qx (depth, b1), qz (depth, b2)."""
    mom = MOMENTS[activation]
    S = sw2 * G          # Sigma^1 = sw2 x.x'/m + sb2
    S /= m
    S += sb2
    Tg = S.copy() if kind == "ntk" else None
    for l in range(depth):
        q1 = qx[l][:, None]
        q2 = qz[l][None, :]
        zero_mask = None
        if activation == "relu":
            zx = qx[l] == 0
            zz = qz[l] == 0
            if zx.any() or zz.any():
                zero_mask = zx[:, None] | zz[None, :]
            else:
                zero_mask = np.zeros((1, 1), dtype=bool)
        E, Ed = mom(q1, q2, S, zero_mask)
        if kind == "ntk":
            # Theta^(l) = sv2 (E + Ed Thg^l)
            np.multiply(Ed, Tg, out=out[l])
            out[l] += E
            out[l] *= sv2
        else:
            np.multiply(E, sv2, out=out[l])
        if l + 1 < depth:
            # Sigma^{l+1} = sw2 E + sb2 ; Thg^{l+1} = Sigma^{l+1} + sw2 Ed Thg^l
            np.multiply(E, sw2, out=S)
            S += sb2
            if kind == "ntk":
                Tg *= Ed
                Tg *= sw2
                Tg += S


def _identical_pairs(X, Z, sqx, sqz, same):
    """Pairs (i, j) with X[i] == Z[j] bit for bit (the diagonal when Z is X).

    At rho = 1 the ReLU angle has d theta / d Sigma = infinity: an ulp of
    disagreement between the BLAS dot product x.z and the separately summed
    ||x||^2 gives theta ~ 1e-8 and a 1e-8 relative error in Ed (so in the NTK
    diagonal). The exact kernel of identical inputs has rho = 1, so the reference
    makes q(x), q(z) and Sigma(x, z) bit-identical there: identical rows share one
    squared norm, and those Gram entries are set to it."""
    first = {}
    sqx = sqx.copy()
    for i in range(X.shape[0]):
        k = X[i].tobytes()
        if k in first:
            sqx[i] = sqx[first[k]]
        else:
            first[k] = i
    if same:
        sqz = sqx
        groups = {}
        for i in range(X.shape[0]):
            groups.setdefault(X[i].tobytes(), []).append(i)
        pi_, pj_ = [], []
        for g in groups.values():
            for a in g:
                for b in g:
                    pi_.append(a)
                    pj_.append(b)
    else:
        sqz = sqz.copy()
        byrow = {}
        for i in range(X.shape[0]):
            byrow.setdefault(X[i].tobytes(), []).append(i)
        pi_, pj_ = [], []
        for j in range(Z.shape[0]):
            g = byrow.get(Z[j].tobytes())
            if g:
                sqz[j] = sqx[g[0]]
                for a in g:
                    pi_.append(a)
                    pj_.append(j)
    return (np.asarray(pi_, dtype=np.intp), np.asarray(pj_, dtype=np.intp), sqx, sqz)


def gram_stack(X, Z=None, depth=1, activation="relu", sigma_w2=2.0, sigma_b2=0.0,
               sigma_v2=1.0, kind="ntk", block=512, symmetric=None, dtype=np.float64,
               workers=1):
    """Return the (depth, n, n2) stack of NTK (kind='ntk') or NNGP (kind='nngp').

    Z=None means Z = X. X.Z^T goes through numpy's matmul (BLAS for float64),
    one row/column tile at a time (block x block) to bound memory.  When Z is X
    the upper tiles are computed and mirrored (symmetric=True by default).
    workers > 1 runs the elementwise tile work in a thread pool."""
    if activation not in MOMENTS:
        raise ValueError("activation must be one of %s" % (ACTIVATIONS,))
    if kind not in KINDS:
        raise ValueError("kind must be one of %s" % (KINDS,))
    if depth < 1:
        raise ValueError("depth must be >= 1")
    X = np.asarray(X, dtype=dtype)
    same = Z is None
    Z = X if same else np.asarray(Z, dtype=dtype)
    if X.ndim != 2 or Z.ndim != 2 or X.shape[1] != Z.shape[1]:
        raise ValueError("X (n x m) and Z (n2 x m) must share m")
    if symmetric is None:
        symmetric = same
    n, m = X.shape
    n2 = Z.shape[0]
    sw2 = dtype(sigma_w2)
    sb2 = dtype(sigma_b2)
    sv2 = dtype(sigma_v2)
    sqx = np.einsum("ij,ij->i", X, X)
    sqz = sqx if same else np.einsum("ij,ij->i", Z, Z)
    pi_, pj_, sqx, sqz = _identical_pairs(X, Z, sqx, sqz, same)
    qx = point_variances(sqx, m, depth, activation, sw2, sb2)
    qz = qx if same else point_variances(sqz, m, depth, activation, sw2, sb2)
    out = np.empty((depth, n, n2), dtype=dtype)
    pool = None
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor
        pool = ThreadPoolExecutor(workers)   # numpy ufuncs release the GIL

    def do_tile(G, i0, i1, j0, j1):
        buf = out[:, i0:i1, j0:j1]
        _tile(G, qx[:, i0:i1], qz[:, j0:j1], m, depth, activation,
              sw2, sb2, sv2, kind, buf)
        if symmetric and j0 != i0:
            out[:, j0:j1, i0:i1] = buf.transpose(0, 2, 1)

    try:
        for i0 in range(0, n, block):
            i1 = min(i0 + block, n)
            j_start = i0 if symmetric else 0
            # one BLAS call per row stripe (only the upper part when symmetric)
            G = X[i0:i1] @ Z[j_start:].T
            sel = (pi_ >= i0) & (pi_ < i1) & (pj_ >= j_start)
            if sel.any():
                # identical inputs: x.z must equal ||x||^2 bit for bit (rho = 1)
                G[pi_[sel] - i0, pj_[sel] - j_start] = sqx[pi_[sel]]
            jobs = []
            for j0 in range(j_start, n2, block):
                j1 = min(j0 + block, n2)
                Gt = np.ascontiguousarray(G[:, j0 - j_start:j1 - j_start])
                if symmetric and j0 == i0:
                    # BLAS need not give x_i.x_j == x_j.x_i bit for bit; use the
                    # upper triangle so the stack is exactly symmetric
                    il = np.tril_indices(i1 - i0, -1)
                    Gt[il] = Gt.T[il]
                if pool is None:
                    do_tile(Gt, i0, i1, j0, j1)
                else:
                    jobs.append(pool.submit(do_tile, Gt, i0, i1, j0, j1))
            for f in jobs:
                f.result()
    finally:
        if pool is not None:
            pool.shutdown()
    return out


def gram_stack_naive(X, Z, depth, activation, sw2, sb2, sv2, kind):
    """Scalar double loop (no vectorization, no tiling, no symmetry): the most
    literal transcription of DESIGN.md section 2, used to check the fast path."""
    m = X.shape[1]
    lit = {"relu": relu_moments_literal, "erf": erf_moments}[activation]
    out = np.empty((depth, X.shape[0], Z.shape[0]))
    for i, x in enumerate(X):
        for j, z in enumerate(Z):
            qa = sw2 * float(x @ x) / m + sb2
            qb = sw2 * float(z @ z) / m + sb2
            S = sw2 * float(x @ z) / m + sb2
            Tg = S
            for l in range(depth):
                E, Ed = (float(v) for v in lit(np.float64(qa), np.float64(qb),
                                                np.array(S, dtype=np.float64)))
                Ea, _ = (float(v) for v in lit(np.float64(qa), np.float64(qa),
                                                np.array(qa, dtype=np.float64)))
                Eb, _ = (float(v) for v in lit(np.float64(qb), np.float64(qb),
                                                np.array(qb, dtype=np.float64)))
                out[l, i, j] = sv2 * (E + Ed * Tg) if kind == "ntk" else sv2 * E
                S = sw2 * E + sb2
                Tg = S + sw2 * Ed * Tg
                qa = sw2 * Ea + sb2
                qb = sw2 * Eb + sb2
    return out


# ---------------------------------------------------------------------------
# independent cross-checks
# ---------------------------------------------------------------------------

def _phi(activation):
    from scipy.special import erf
    if activation == "relu":
        return (lambda u: np.maximum(u, 0.0),
                lambda u: (u > 0).astype(float) + 0.5 * (u == 0))
    return (erf, lambda u: 2 / np.sqrt(np.pi) * np.exp(-u * u))


def gh_moments(activation, q1, q2, S, deg=60):
    """E[phi(u)phi(v)], E[phi'(u)phi'(v)] by 2-D Gauss-Hermite (probabilists')
    quadrature with u = a z1, v = b z1 + c z2 (Cholesky of the covariance)."""
    from numpy.polynomial.hermite_e import hermegauss
    z, w = hermegauss(deg)
    w = w / np.sqrt(2 * np.pi)
    a = np.sqrt(q1)
    b = S / a if a > 0 else 0.0
    c = np.sqrt(max(q2 - b * b, 0.0))
    Z1, Z2 = np.meshgrid(z, z, indexing="ij")
    W = np.outer(w, w)
    u = a * Z1
    v = b * Z1 + c * Z2
    f, fd = _phi(activation)
    return float(np.sum(W * f(u) * f(v))), float(np.sum(W * fd(u) * fd(v)))


def relu_quadrant_quad(q1, q2, S):
    """E[relu(u)relu(v)] = int_{u>0,v>0} u v p(u,v) and E[relu'relu'] = P(u>0,v>0)
    by scipy's adaptive dblquad in Cholesky coordinates (z1 > 0, z2 > -b z1/c):
    the integrand is smooth on that region, so this is accurate, unlike GH."""
    from scipy.integrate import dblquad
    a = np.sqrt(q1)
    b = S / a
    c = np.sqrt(q2 - b * b)
    pdf = lambda t: np.exp(-0.5 * t * t) / np.sqrt(2 * np.pi)
    R = 14.0          # N(0,1) mass beyond 14 sigma is < 1e-44: finite box is exact here
    lo = lambda z1: min(max(-b * z1 / c, -R), R)
    hi = lambda z1: R
    opts = dict(epsabs=1e-15, epsrel=1e-13)
    E = dblquad(lambda z2, z1: a * z1 * (b * z1 + c * z2) * pdf(z1) * pdf(z2),
                0, R, lo, hi, **opts)[0]
    P = dblquad(lambda z2, z1: pdf(z1) * pdf(z2), 0, R, lo, hi, **opts)[0]
    return E, P


def empirical_ntk(X, widths, depth, activation, sw2, sb2, sv2, rng):
    """Empirical NTK/NNGP of the readout f_l of every layer l = 1..depth for one
    random NTK-parameterized MLP (DESIGN.md section 1), by explicit backprop.
    Returns (ntk, nngp), each (depth, n, n)."""
    f, fd = _phi(activation)
    n, m = X.shape
    sw, sb, sv = np.sqrt(sw2), np.sqrt(sb2), np.sqrt(sv2)
    Ws, hs, gs = [], [X], []
    fan = m
    for l in range(depth):
        W = rng.standard_normal((widths, fan))
        bvec = rng.standard_normal(widths)
        g = sw / np.sqrt(fan) * hs[-1] @ W.T + sb * bvec
        Ws.append(W)
        gs.append(g)
        hs.append(f(g))
        fan = widths
    ntk = np.empty((depth, n, n))
    nngp = np.empty((depth, n, n))
    for L in range(1, depth + 1):
        V = rng.standard_normal(widths)
        hL = hs[L]
        K = sv2 / widths * hL @ hL.T              # d f / d V
        nngp[L - 1] = K
        T = K.copy()
        delta = sv / np.sqrt(widths) * V[None, :] * fd(gs[L - 1])   # d f / d g_L
        for k in range(L, 0, -1):                 # layers k = L..1
            hprev = hs[k - 1]
            fan = m if k == 1 else widths
            D = delta @ delta.T
            T += sw2 / fan * D * (hprev @ hprev.T) + sb2 * D
            if k > 1:
                delta = (sw / np.sqrt(widths) * delta @ Ws[k - 1]) * fd(gs[k - 2])
        ntk[L - 1] = T
    return ntk, nngp


def self_test(verbose=True):
    ok = True

    def report(name, err, tol):
        nonlocal ok
        good = err <= tol
        ok &= good
        print("  %-62s %.3e  (tol %.0e) %s" % (name, err, tol, "ok" if good else "FAIL"))

    rng = np.random.default_rng(12345)
    print("[1] closed forms vs 2-D Gauss-Hermite quadrature (hermegauss, Cholesky map)")
    triples = [(1.0, 1.0, 0.3), (0.7, 2.3, -0.9), (1.5, 0.4, 0.77), (2.0, 2.0, 1.999),
               (0.5, 1.2, 0.0), (3.0, 0.2, -0.7), (1.0, 1.0, 1.0)]
    for (q1, q2, S) in triples:
        Ec, Edc = MOMENTS["erf"](np.float64(q1), np.float64(q2), np.array(S))
        for deg, tol in ((60, 1e-5), (150, 1e-13)):
            Eg, Edg = gh_moments("erf", q1, q2, S, deg=deg)
            report("erf  q=%.2g q'=%.2g S=%.4g deg %3d: max(rel E, rel Ed)"
                   % (q1, q2, S, deg),
                   max(abs(Eg - Ec) / abs(Ec) if Ec != 0 else abs(Eg), abs(Edg - Edc) / Edc),
                   tol)
    print("  relu (kink: Gauss-Hermite converges only algebraically; shown, not gated;"
          " the tight check is the adaptive integral over the quadrant below)")
    for (q1, q2, S) in triples:
        Ec, Edc = MOMENTS["relu"](np.float64(q1), np.float64(q2), np.array(S))
        cells = []
        for deg in (60, 240):
            Eg, Edg = gh_moments("relu", q1, q2, S, deg=deg)
            cells.append("deg %3d: rel E %.1e rel Ed %.1e" % (
                deg, abs(Eg - Ec) / abs(Ec) if Ec else abs(Eg), abs(Edg - Edc) / Edc))
        print("    q=%.2g q'=%.2g S=%.4g  %s | %s" % (q1, q2, S, cells[0], cells[1]))
    for (q1, q2, S) in triples:
        if S * S >= q1 * q2:
            continue          # rho = 1 exactly is checked analytically in [2]
        Ec, Edc = MOMENTS["relu"](np.float64(q1), np.float64(q2), np.array(S))
        Eq, Edq = relu_quadrant_quad(q1, q2, S)
        report("relu q=%.2g q'=%.2g S=%.4g dblquad on {u>0,v>0}: max rel"
               % (q1, q2, S), max(abs(Eq - Ec) / Ec, abs(Edq - Edc) / Edc), 1e-9)

    print("[2] relu closed form: literal sin/cos form and zero-variance convention")
    q1 = rng.uniform(0.1, 3, 20000)
    q2 = rng.uniform(0.1, 3, 20000)
    rho = rng.uniform(-1, 1, 20000)
    S = rho * np.sqrt(q1 * q2)
    E1, Ed1 = relu_moments(q1, q2, S.copy())
    E2, Ed2 = relu_moments_literal(q1, q2, S)
    ld = np.longdouble
    E3, Ed3 = relu_moments_literal(q1.astype(ld), q2.astype(ld), S.astype(ld))
    E3, Ed3 = E3.astype(np.float64), Ed3.astype(np.float64)
    k = rho > -0.9
    report("relu coded form vs literal sin/cos form, rho > -0.9 (max rel)",
           max(np.max(np.abs(E1 - E2)[k] / E2[k]), np.max(np.abs(Ed1 - Ed2) / Ed2)),
           5e-14)
    for lo in (-1.0, -0.99, -0.9):
        k = rho > lo
        print("  rel err of E vs float128, rho > %5.2f: coded form %.2e, literal form %.2e"
              "  (E ~ (1+rho)^1.5 near rho=-1: ill-conditioned there)"
              % (lo, np.max(np.abs(E1 - E3)[k] / E3[k]), np.max(np.abs(E2 - E3)[k] / E3[k])))
    print("  raw IEEE: atan2(0, 0) = %r, atan2(0, -0) = %r  (hence the special case)"
          % (float(np.arctan2(0.0, 0.0)), float(np.arctan2(0.0, -0.0))))
    for (a, b, s) in [(0.0, 0.0, 0.0), (0.0, 1.7, 0.0), (2.0, 0.0, -0.0), (0.0, 0.0, -0.0)]:
        E, Ed = relu_moments(np.float64(a), np.float64(b), np.array(s))
        report("q=%g q'=%g S=%g -> E=%g, Ed=%g (want 0, 1/4)" % (a, b, s, E, Ed),
               max(abs(float(E)), abs(float(Ed) - 0.25)), 0.0)
    Eg, Edg = gh_moments("relu", 0.0, 1.7, 0.0, deg=61)   # odd degree: node at 0
    report("GH at q=0 (relu'(0)=1/2): |Ed - 1/4|", abs(Edg - 0.25), 1e-14)
    # rho = 1 exactly: theta = 0 -> E = q/2, Ed = 1/2
    E, Ed = relu_moments(np.float64(1.3), np.float64(1.3), np.array(1.3))
    report("rho = 1: E = q/2, Ed = 1/2", max(abs(float(E) - 0.65), abs(float(Ed) - 0.5)),
           2e-16)

    print("[3] vectorized/tiled/symmetric stack vs scalar double loop")
    X = rng.standard_normal((7, 5))
    X[2] = 0.0
    X[5] = X[1]
    Z = rng.standard_normal((4, 5))
    for act in ACTIVATIONS:
        for sb2 in (0.0, 0.3):
            for kind in KINDS:
                for zz in (None, Z):
                    ref = gram_stack_naive(X, X if zz is None else zz, 5, act, 2.0, sb2,
                                           1.0, kind)
                    got = gram_stack(X, zz, 5, act, 2.0, sb2, 1.0, kind, block=3,
                                     workers=1 + (sb2 > 0))
                    err = np.max(np.abs(got - ref) / np.max(np.abs(ref), axis=(1, 2),
                                                            keepdims=True))
                    report("%s sb2=%.1f %s %s" % (act, sb2, kind,
                                                  "Z=X" if zz is None else "X!=Z"), err,
                           1e-14)
                    if zz is None:
                        report("   exact symmetry", np.max(np.abs(got - got.transpose(0, 2, 1))),
                               0.0)

    print("[3b] rho = 1 on non-dyadic data (m = 784): diagonal vs exact theta = 0 recursion")
    X = rng.standard_normal((30, 784))
    X[11] = X[4]
    Z = np.vstack([rng.standard_normal((5, 784)), X[4:5]])
    for sb2 in (0.0, 0.3):
        T = gram_stack(X, None, 6, "relu", 2.0, sb2, 1.0, "ntk", block=8)
        Tz = gram_stack(X, Z, 6, "relu", 2.0, sb2, 1.0, "ntk", block=4)
        q = 2.0 * np.einsum("ij,ij->i", X, X) / 784 + sb2
        q[11] = q[4]
        tg = q.copy()
        want = np.empty((6, 30))
        for l in range(6):          # E = q/2, Ed = 1/2 exactly at rho = 1
            want[l] = 0.5 * q + 0.5 * tg
            q = 2.0 * (0.5 * q) + sb2
            tg = q + 2.0 * 0.5 * tg
        diag = np.einsum("lii->li", T)
        report("relu sb2=%.1f ntk: diagonal vs theta=0 recursion (max rel)" % sb2,
               np.max(np.abs(diag - want) / want), 1e-14)
        report("   duplicated rows give identical entries (X=Z and X!=Z)",
               max(np.max(np.abs(T[:, 4, 11] - T[:, 4, 4])),
                   np.max(np.abs(Tz[:, 4, 5] - T[:, 4, 4])),
                   np.max(np.abs(Tz[:, 11, 5] - T[:, 4, 4]))), 0.0)

    print("[4] float64 vs float128 (x87 long double) recursion, dyadic data")
    X = rng.integers(-8, 9, size=(12, 32)) / 8.0
    X[0] = 0
    X[3] = X[4]
    for act in ACTIVATIONS:
        for sb2 in (0.0, 0.3):
            for kind in KINDS:
                a = gram_stack(X, None, 8, act, 2.0, sb2, 1.0, kind)
                b = gram_stack(X, None, 8, act, 2.0, sb2, 1.0, kind, dtype=np.longdouble)
                d = np.abs(a - b.astype(np.float64))
                nz = np.abs(b) > 1e-300
                report("%s sb2=%.1f %s  max entrywise rel" % (act, sb2, kind),
                       float(np.max(d[nz] / np.abs(b[nz]).astype(np.float64))), 1e-13)

    print("[5] finite-width Monte Carlo: empirical NTK of random nets (depth 3)")
    X = rng.standard_normal((4, 6))
    depth = 3
    for act, sw2, sb2 in (("relu", 2.0, 0.1), ("erf", 1.5, 0.2)):
        ref_ntk = gram_stack(X, None, depth, act, sw2, sb2, 1.0, "ntk")
        ref_nngp = gram_stack(X, None, depth, act, sw2, sb2, 1.0, "nngp")
        errs = []
        for width in (256, 1024, 4096):
            seeds = 24
            acc_t = np.zeros_like(ref_ntk)
            acc_k = np.zeros_like(ref_nngp)
            # rms error over seeds (not error of the mean): O(1/sqrt(width))
            sq_t = 0.0
            for s in range(seeds):
                t, k = empirical_ntk(X, width, depth, act, sw2, sb2, 1.0,
                                     np.random.default_rng(1000 * width + s))
                acc_t += t
                acc_k += k
                sq_t += np.mean(((t - ref_ntk) / np.max(np.abs(ref_ntk))) ** 2)
            rms = np.sqrt(sq_t / seeds)
            mean_err = np.max(np.abs(acc_t / seeds - ref_ntk)) / np.max(np.abs(ref_ntk))
            mean_err_k = np.max(np.abs(acc_k / seeds - ref_nngp)) / np.max(np.abs(ref_nngp))
            errs.append(rms)
            print("  %s width %5d: rms rel err per net %.4f | seed-mean err ntk %.4f"
                  " nngp %.4f" % (act, width, rms, mean_err, mean_err_k))
        for (wa, wb, ea, eb) in ((256, 1024, errs[0], errs[1]), (1024, 4096, errs[1], errs[2])):
            r = ea / eb
            good = 1.4 <= r <= 2.6
            ok &= good
            print("  %-62s %.3f  (want 1.4..2.6, O(1/sqrt(width))) %s"
                  % ("%s rms err ratio width %d / width %d" % (act, wa, wb), r,
                     "ok" if good else "FAIL"))
        report("%s rms err at width 4096" % act, errs[2], 0.05)

    print("SELF-TEST", "PASSED" if ok else "FAILED")
    return ok


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--x")
    p.add_argument("--z")
    p.add_argument("--depth", type=int)
    p.add_argument("--activation", choices=ACTIVATIONS, default="relu")
    p.add_argument("--sigma-w2", type=float, default=2.0)
    p.add_argument("--sigma-b2", type=float, default=0.0)
    p.add_argument("--sigma-v2", type=float, default=1.0)
    p.add_argument("--kind", choices=KINDS, default="ntk")
    p.add_argument("--out")
    p.add_argument("--block", type=int, default=512)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--self-test", action="store_true")
    a = p.parse_args(argv)
    if a.self_test:
        return 0 if self_test() else 1
    if not (a.x and a.depth and a.out):
        p.error("--x, --depth and --out are required (or --self-test)")
    X = np.load(a.x)
    Z = np.load(a.z) if a.z else None
    out = gram_stack(X, Z, a.depth, a.activation, a.sigma_w2, a.sigma_b2, a.sigma_v2,
                     a.kind, block=a.block, workers=a.workers)
    np.save(a.out, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
