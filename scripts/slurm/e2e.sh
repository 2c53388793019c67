#!/usr/bin/env bash
# End-to-end test of the Slurm scripts: start a throw-away one-node Slurm
# cluster on this machine, run sketch-array.sbatch as a job array and
# fit.sbatch after it (--dependency=afterok), and check that the result
# equals a single-process `ntkmkl fit --method nystrom`.
#
#   bash scripts/slurm/e2e.sh            # from the repository root, as root
#
# Needs root (munged runs as the munge user, the Slurm daemons as root),
# no systemd and no TTY. It installs Debian's slurm-wlm and munge with
# apt-get when they are missing. Everything it writes lives in a scratch
# folder that is removed at the end, and the daemons it started are stopped
# by their PIDs, whatever happens (trap on EXIT).
#
# Environment (all optional):
#   NTKMKL        ntkmkl binary to test (default: go build ./cmd/ntkmkl)
#   SHARDS        array tasks (default 4)
#   E2E_TIMEOUT   seconds to wait for the jobs (default 600)
#   E2E_TOL       max |Δ| allowed between the two omega.csv (default 1e-8)
#   E2E_FIT_FLAGS fit-only flags, given to both fits (default "--lambda 1e-1":
#                 with the default λ=1e-3 every row of Ω here is a vertex of the
#                 simplex and the comparison is trivially exact; with 1e-1 some
#                 rows are interior and the two fits differ by ~1e-10)
#   E2E_PORT      slurmctld port; slurmd uses E2E_PORT+1 (default 16817)
#   E2E_KEEP=1    keep the scratch folder (its path is printed)
# The last line is always "slurm e2e: 1 passed, 0 failed" or
# "slurm e2e: 0 passed, 1 failed"; the exit status is 0 only on a pass.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SHARDS=${SHARDS:-4}
TIMEOUT=${E2E_TIMEOUT:-600}
TOL=${E2E_TOL:-1e-8}
PORT=${E2E_PORT:-16817}
# The test problem: embedded digits, small enough for a laptop.
N_TRAIN=600 CENTERS=200 DEPTH=4
FIT_FLAGS=${E2E_FIT_FLAGS---lambda 1e-1}

PASSED=0
SCRATCH=""
MUNGED_PID="" SLURMCTLD_PID="" SLURMD_PID=""
JOBS=()
T0=$SECONDS

log() { printf 'e2e [%3ds] %s\n' $((SECONDS - T0)) "$*"; }
fail() {
    echo "FAIL: $*"
    exit 1
}

# stop PID NAME: SIGTERM, then SIGKILL after 15 s; reap it (it is our child).
stop() {
    local pid=$1 name=$2 i
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name ($pid) ignored SIGTERM; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    if ((rc != 0)) && [[ -n $SCRATCH && -d $SCRATCH ]]; then
        # Show what the daemons and jobs said, for the CI log.
        # (The daemons' stdout repeats their log; its head has start-up errors.)
        for f in "$SCRATCH"/slurm/log/*.log "$SCRATCH"/munge/munged.log "$SCRATCH"/run/*.out; do
            [[ -s $f ]] || continue
            echo "----- tail of $f"
            tail -n 30 "$f"
        done
        for f in "$SCRATCH"/slurm/log/*.stdout "$SCRATCH"/munge/munged.stdout; do
            [[ -s $f ]] || continue
            echo "----- head of $f"
            head -n 10 "$f"
        done
        if [[ -n $SLURMCTLD_PID ]] && kill -0 "$SLURMCTLD_PID" 2>/dev/null; then
            echo "----- squeue"
            squeue -a -t all 2>&1 | head -n 20
        fi
    fi
    # Jobs first, so that no slurmstepd outlives its slurmd.
    if ((${#JOBS[@]})) && [[ -n $SLURMCTLD_PID ]] && kill -0 "$SLURMCTLD_PID" 2>/dev/null; then
        scancel "${JOBS[@]}" 2>/dev/null
        for ((i = 0; i < 100; i++)); do
            [[ -z $(squeue -h -j "$(IFS=,; echo "${JOBS[*]}")" 2>/dev/null) ]] && break
            sleep 0.2
        done
    fi
    stop "$SLURMD_PID" slurmd
    stop "$SLURMCTLD_PID" slurmctld
    stop "$MUNGED_PID" munged
    if [[ -n $SCRATCH && -d $SCRATCH ]]; then
        if [[ ${E2E_KEEP:-0} == 1 ]]; then
            log "kept $SCRATCH"
        else
            rm -rf "$SCRATCH"
        fi
    fi
    log "done"
    if ((rc == 0 && PASSED)); then
        echo "slurm e2e: 1 passed, 0 failed"
        exit 0
    fi
    echo "slurm e2e: 0 passed, 1 failed"
    exit $((rc == 0 ? 1 : rc))
}
trap cleanup EXIT
trap 'echo "FAIL: interrupted"; exit 130' INT
trap 'echo "FAIL: terminated"; exit 143' TERM

[[ $(id -u) == 0 ]] || fail "run as root (munged runs as the munge user, slurmd as root)"

# --- (a) packages -----------------------------------------------------------
missing=0
for c in munged munge unmunge slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
    command -v "$c" >/dev/null 2>&1 || missing=1
done
if ((missing)); then
    log "installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || fail "apt-get update"
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null || fail "apt-get install slurm-wlm munge"
fi
getent passwd munge >/dev/null || fail "no munge user after installing munge"
log "$(slurmctld -V), $(munged -V 2>&1 | awk '{print $1; exit}')"

# --- (b) a one-node cluster in a scratch folder ------------------------------
# Client commands must not see a Slurm job this script might run inside.
for v in $(compgen -e | grep '^SLURM_' || true); do unset "$v"; done

SCRATCH=$(mktemp -d /tmp/ntkmkl-slurm-e2e.XXXXXX)
chmod 755 "$SCRATCH" # munged checks every folder above its files
mkdir -p "$SCRATCH"/munge "$SCRATCH"/slurm/{state,spool,log} "$SCRATCH"/run
log "scratch $SCRATCH"

# munge: a fresh 1 KiB key, mode 400, owned by munge; munged as munge, with
# its socket, pid, seed and log in the scratch folder (no clash with a
# system munged on /run/munge).
M=$SCRATCH/munge
SOCK=$M/munge.socket
dd if=/dev/urandom of="$M/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$M"
chmod 755 "$M" # the socket's folder must be searchable by all (munged checks)
chmod 400 "$M/munge.key"
# setpriv execs munged, so $! is munged's own PID (runuser would fork).
setpriv --reuid=munge --regid=munge --init-groups -- \
    munged --foreground --key-file="$M/munge.key" --socket="$SOCK" \
    --pid-file="$M/munged.pid" --seed-file="$M/munged.seed" --log-file="$M/munged.log" \
    >"$M/munged.stdout" 2>&1 &
MUNGED_PID=$!
for ((i = 0; ; i++)); do
    munge -n -S "$SOCK" 2>/dev/null | unmunge -S "$SOCK" >/dev/null 2>&1 && break
    kill -0 "$MUNGED_PID" 2>/dev/null || { cat "$M/munged.stdout"; fail "munged exited"; }
    ((i < 100)) || fail "munged did not answer in 10 s"
    sleep 0.1
done
log "munged up (pid $MUNGED_PID)"

# slurm.conf: root runs everything; no cgroups (linuxproc, task/none), no
# accounting (sacct does not work here: jobs are checked with scontrol).
NODE=$(hostname -s)
# The node line as slurmd itself detects the hardware (CPUs, sockets,
# cores, threads, RealMemory), so that slurmd does not drain the node.
HW=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]* //')
[[ $HW == *CPUs=* && $HW == *RealMemory=* ]] || fail "slurmd -C printed $HW"
CONF=$SCRATCH/slurm/slurm.conf
S=$SCRATCH/slurm
cat >"$CONF" <<EOF
ClusterName=ntkmkl-e2e
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# A fit whose shard failed is cancelled instead of pending forever.
DependencyParameters=kill_invalid_depend
# Keep finished jobs visible to scontrol for 10 minutes.
MinJobAge=600
ReturnToService=2
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
NodeName=$NODE NodeAddr=127.0.0.1 $HW State=UNKNOWN
PartitionName=e2e Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$CONF

# Foreground (-D) in the background: $! is the daemon's PID. -i: ignore
# any saved state (there is none in a fresh scratch folder).
slurmctld -D -i -f "$CONF" >"$S/log/slurmctld.stdout" 2>&1 &
SLURMCTLD_PID=$!
slurmd -D -N "$NODE" -f "$CONF" >"$S/log/slurmd.stdout" 2>&1 &
SLURMD_PID=$!

for ((i = 0; ; i++)); do
    state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null || true)
    [[ $state == idle ]] && break
    kill -0 "$SLURMCTLD_PID" 2>/dev/null || fail "slurmctld exited (port $PORT in use by a leftover cluster?)"
    kill -0 "$SLURMD_PID" 2>/dev/null || fail "slurmd exited"
    ((i < 120)) || fail "node $NODE not idle after 60 s (state '${state}')"
    sleep 0.5
done
log "slurmctld (pid $SLURMCTLD_PID) and slurmd (pid $SLURMD_PID) up; node $NODE idle ($HW)"

# --- (c) ntkmkl ---------------------------------------------------------------
if [[ -n ${NTKMKL:-} ]]; then
    BIN=$(command -v "$NTKMKL") || fail "NTKMKL=$NTKMKL not found"
    BIN=$(realpath "$BIN")
else
    command -v go >/dev/null || fail "no go on PATH (or set NTKMKL)"
    (cd "$REPO" && go build -o "$SCRATCH/ntkmkl" ./cmd/ntkmkl) || fail "go build ./cmd/ntkmkl"
    BIN=$SCRATCH/ntkmkl
fi
log "ntkmkl: $BIN"

# --- (d) the array and the dependent fit -----------------------------------------
R=$SCRATCH/run
# What the two job scripts read from the environment (sbatch exports it).
export NTKMKL=$BIN OUT=$R/sharded CENTERS DEPTH DATA="--n-train $N_TRAIN" KERNEL="" SEED=1 FIT_FLAGS
# Command-line options override the scripts' #SBATCH lines: fit the
# request to this machine (one CPU per task, little memory).
small=(--cpus-per-task=1 --mem=1G --time=00:10:00 --chdir="$R")
out=$(sbatch --parsable "${small[@]}" --array=0-$((SHARDS - 1)) --output="$R/sketch-%A_%a.out" \
    "$REPO/scripts/slurm/sketch-array.sbatch") || fail "sbatch sketch-array.sbatch: $out"
ARRAY_ID=${out%%;*}
JOBS+=("$ARRAY_ID")
out=$(sbatch --parsable "${small[@]}" --dependency=afterok:"$ARRAY_ID" --output="$R/fit-%j.out" \
    "$REPO/scripts/slurm/fit.sbatch") || fail "sbatch fit.sbatch: $out"
FIT_ID=${out%%;*}
JOBS+=("$FIT_ID")
log "submitted array job $ARRAY_ID (${SHARDS} shards) and fit job $FIT_ID (afterok:$ARRAY_ID)"

# states ID: the JobState of each record of ID (one per array task).
states() { scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort | uniq -c | xargs || true; }
deadline=$((SECONDS + TIMEOUT))
last=""
while :; do
    a=$(states "$ARRAY_ID") f=$(states "$FIT_ID")
    now="array: ${a:-?}; fit: ${f:-?}"
    [[ $now != "$last" ]] && log "$now"
    last=$now
    case $f in
    *COMPLETED*) break ;;
    *FAILED* | *CANCELLED* | *TIMEOUT* | *NODE_FAIL* | *OUT_OF_MEMORY* | *BOOT_FAIL* | *DEADLINE* | *PREEMPTED*)
        fail "fit job $FIT_ID ended $f (array: $a)" ;;
    esac
    ((SECONDS < deadline)) || fail "timeout: jobs not done after ${TIMEOUT}s ($now)"
    kill -0 "$SLURMCTLD_PID" 2>/dev/null || fail "slurmctld died"
    kill -0 "$SLURMD_PID" 2>/dev/null || fail "slurmd died"
    sleep 1
done
[[ $a =~ ^${SHARDS}\ COMPLETED$ ]] || fail "array job $ARRAY_ID: $a, want $SHARDS COMPLETED"
nparts=$(find "$R/sharded/parts" -name 'part-*' | wc -l)
((nparts == SHARDS)) || fail "$nparts parts in $R/sharded/parts, want $SHARDS"
[[ -s $R/sharded/fit/omega.csv && -s $R/sharded/fit/report.json ]] || fail "fit job wrote no omega.csv/report.json"
used=$(grep -o '/parts/part-[0-9]*"' "$R/sharded/fit/report.json" | sort -u | wc -l)
((used == SHARDS)) || fail "report.json of the fit job lists $used parts, want $SHARDS"

# --- (e) the same fit in one process -------------------------------------------------
log "single-process fit${FIT_FLAGS:+ ($FIT_FLAGS)}"
# shellcheck disable=SC2086
"$BIN" fit --method nystrom --n-train "$N_TRAIN" --centers "$CENTERS" --depth "$DEPTH" --seed 1 $FIT_FLAGS \
    --quiet --out "$R/single" >"$R/single.out" 2>&1 || { cat "$R/single.out"; fail "single-process fit"; }

# --- (f) compare ----------------------------------------------------------------------
# omega.csv: same header and shape, max |Δ| over all numbers ≤ TOL.
cmp_out=$(awk -F, -v tol="$TOL" '
    FNR == 1 { if (NR == 1) h = $0; else if ($0 != h) { print "headers differ"; bad = 1 }; next }
    NR == FNR { a[FNR] = $0; n1++; next }
    {
        n2++
        split(a[FNR], x, ",")
        if (length(x) != NF) { print "row " FNR ": " length(x) " vs " NF " fields"; bad = 1; next }
        for (i = 1; i <= NF; i++) { d = x[i] - $i; if (d < 0) d = -d; if (d > m) m = d }
    }
    END {
        if (n1 != n2 || n1 == 0) { print "rows: " n1 " vs " n2; bad = 1 }
        printf "max |delta omega| = %.3g over %d rows\n", m, n1
        exit (bad || m > tol)
    }' "$R/sharded/fit/omega.csv" "$R/single/omega.csv") && ok=1 || ok=0
log "$cmp_out (tolerance $TOL)"
((ok)) || fail "omega.csv of the Slurm fit differs from the single-process fit: $cmp_out"

acc() { grep -o '"test_accuracy": *[-0-9.eE+]*' "$1" | head -n 1 | sed 's/.*: *//'; }
acc_s=$(acc "$R/sharded/fit/report.json") acc_1=$(acc "$R/single/report.json")
[[ -n $acc_s && -n $acc_1 ]] || fail "no test_accuracy in report.json"
awk -v a="$acc_s" -v b="$acc_1" 'BEGIN { d = a - b; exit !(d <= 1e-12 && -d <= 1e-12) }' ||
    fail "test_accuracy: Slurm $acc_s, single process $acc_1"
log "test_accuracy: Slurm $acc_s, single process $acc_1"

echo "PASS: Slurm array ($SHARDS shards) + afterok fit equals the single-process Nyström fit"
PASSED=1
