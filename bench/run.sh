#!/usr/bin/env bash
# `make bench`: the Go benchmarks, then the timed applies of bench/applybench
# (TestApply), which print one table. See bench/README.md.
#
#   BENCH=Engine bench/run.sh      only the Go benchmarks matching a regexp (default: all)
#   BENCH_TIME=1x bench/run.sh     each Go benchmark once and one round of each apply measure: the CI smoke
#   BENCH_ROUNDS=N bench/run.sh    N rounds of every apply measure
#   BENCH_RUN='startup|scale'      only these apply measures (a regexp of TestApply's subtests)
#   BENCH_GO=0 / BENCH_APPLY=0     skip the Go benchmarks / the applies
#   TERRAFORM=/path/to/terraform   default: terraform on PATH, else the .ci/run cache
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ "${BENCH_GO:-1}" != 0 ]]; then
	# bench/baseline has the same BenchmarkRPC as internal/provider: the floor.
	go test -run '^$' -bench "${BENCH:-.}" -benchmem ${BENCH_TIME:+-benchtime "$BENCH_TIME"} ./internal/... ./bench/baseline
fi
if [[ "${BENCH_APPLY:-1}" == 0 ]]; then
	exit 0
fi

terraform=${TERRAFORM:-$(command -v terraform || true)}
cached="${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-media/tf-1.8.5/terraform"
if [[ -z "$terraform" && -x "$cached" ]]; then
	terraform=$cached
fi
if [[ -z "$terraform" ]]; then
	echo "bench: terraform not found on PATH or in the .ci/run cache; set TERRAFORM" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/media-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The providers are built as releases are (.goreleaser.yml: no cgo, trimmed,
# stripped), side by side; plus mediaprobe, the engine's benchmarks (the
# harness reads their RSS) and the harness.
flags=(-trimpath -ldflags "-s -w -X main.version=bench -X main.commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)")
CGO_ENABLED=0 go build "${flags[@]}" -o "$tmp/bin/terraform-provider-media" .
CGO_ENABLED=0 go build "${flags[@]}" -o "$tmp/bin/terraform-provider-baseline" ./bench/baseline
CGO_ENABLED=0 go build "${flags[@]}" -o "$tmp/bin/mediaprobe" ./cmd/mediaprobe
go test -c -o "$tmp/bin/verify.test" ./internal/verify
go test -c -o "$tmp/applybench.test" ./bench/applybench

# The UDP range measure binds 10,001 sockets in mediaprobe.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [[ "${BENCH_TIME:-}" == 1x && -z "${BENCH_ROUNDS:-}" ]]; then
	export BENCH_ROUNDS=1
fi
echo "==> $(env -u TF_CLI_CONFIG_FILE CHECKPOINT_DISABLE=1 "$terraform" version | head -n 1), $(nproc) cores, ulimit -n $(ulimit -n)"
cd "$tmp"
BENCH_BIN="$tmp/bin" TERRAFORM="$terraform" ./applybench.test -test.run "^TestApply\$/^(${BENCH_RUN:-.*})\$" -test.v -test.timeout 60m
