#!/usr/bin/env bash
# Times one training epoch of the paper's NFT-K MLP (10 x 256, ReLU,
# standard parameterization, batch 50, d = 10, two SGD optimizers) in Go
# (internal/train, BenchmarkEpochMNISTShape) and in PyTorch
# (bench/torch/nftk_epoch.py) on the same number of random MNIST-shaped
# images, alternating the two REPS times, and prints the best wall time
# and the best CPU time (process user+system, all threads) of each, with
# the ratios Go/PyTorch (below 1: Go is faster). On a machine that other
# work keeps busy the CPU-time ratio is the steadier of the two.
#
#   bench/torch/run.sh [IMAGES [REPS]]     defaults: 60000 images, 3 repetitions
#
# THREADS (default "1 <nproc>") lists the thread counts to compare: Go
# runs with GOMAXPROCS (and so Workers) set to it, PyTorch with
# torch.set_num_threads. DTYPES (default "float32 float64") lists the
# PyTorch precisions; Go always computes in float64.
# Needs Debian's python3-torch (apt-get install -y python3-torch).
set -euo pipefail
cd "$(dirname "$0")/../.."
images=${1:-60000}
reps=${2:-3}
threads=${THREADS:-"1 $(nproc)"}
dtypes=${DTYPES:-"float32 float64"}
py=${PYTHON:-/usr/bin/python3}

"$py" -c 'import torch' 2>/dev/null || { echo "run.sh: $py cannot import torch (apt-get install -y python3-torch)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go test -c -o "$dir/train.test" ./internal/train

# metric NAME: the value before NAME in a Go benchmark line, or after NAME=
# in the PyTorch line.
metric() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) { if ($i == k && i > 1) print $(i-1); if (index($i, k "=") == 1) print substr($i, length(k) + 2) } }'; }
min() { sort -g | head -1; }

echo "images=$images reps=$reps cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
for t in $threads; do
	: >"$dir/go"
	for dt in $dtypes; do : >"$dir/$dt"; done
	for r in $(seq "$reps"); do
		out=$(NTKMKL_BENCH_IMAGES=$images "$dir/train.test" -test.run '^$' -test.bench '^BenchmarkEpochMNISTShape$' -test.benchtime 1x -test.cpu "$t" | grep '^BenchmarkEpochMNISTShape')
		w=$(metric epoch-s <<<"$out")
		c=$(metric cpu-s <<<"$out")
		echo "$w $c" >>"$dir/go"
		echo "  go    threads=$t run=$r wall=$w cpu=$c"
		for dt in $dtypes; do
			out=$("$py" bench/torch/nftk_epoch.py --images "$images" --threads "$t" --dtype "$dt")
			w=$(metric seconds <<<"$out")
			c=$(metric cpu_seconds <<<"$out")
			echo "$w $c" >>"$dir/$dt"
			echo "  torch threads=$t run=$r wall=$w cpu=$c dtype=$dt torch_threads=$(metric threads <<<"$out")"
		done
	done
	gw=$(cut -d' ' -f1 "$dir/go" | min)
	gc=$(cut -d' ' -f2 "$dir/go" | min)
	awk -v t="$t" -v w="$gw" -v c="$gc" -v n="$images" 'BEGIN { printf "threads=%s go(float64)      best wall %.3f s (%.0f images/s), best cpu %.3f s\n", t, w, n / w, c }'
	for dt in $dtypes; do
		pw=$(cut -d' ' -f1 "$dir/$dt" | min)
		pc=$(cut -d' ' -f2 "$dir/$dt" | min)
		awk -v t="$t" -v w="$pw" -v c="$pc" -v gw="$gw" -v gc="$gc" -v n="$images" -v dt="$dt" \
			'BEGIN { printf "threads=%s torch(%s)   best wall %.3f s (%.0f images/s), best cpu %.3f s   ratio go/torch: wall %.2f, cpu %.2f\n", t, dt, w, n / w, c, gw / w, gc / c }'
	done
done
