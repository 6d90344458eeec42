#!/usr/bin/env bash
# `make bench` (issue 4): the Go benchmarks of internal/..., then
# bench/applybench, which times whole `terraform apply` runs of our provider
# against bench/baseline and prints the table of the six measures. It exits
# non-zero when a target is missed (not with BENCH_QUICK=1).
#
#   BENCH=Engine bench/run.sh        only Go benchmarks matching a regexp (default: all)
#   BENCH_TIME=1x bench/run.sh       each Go benchmark once; implies BENCH_QUICK=1 (the CI smoke)
#   BENCH_QUICK=1 bench/run.sh       one repetition of each apply measure; missed targets do not fail it
#   BENCH_RUNS=N bench/run.sh        N repetitions of every apply measure
#   BENCH_MEASURES=startup,scale     only these apply measures (startup unblock scale failure cancel engine)
#   BENCH_GO=0 / BENCH_APPLY=0       skip the Go benchmarks / the apply measures
#   BENCH_VERBOSE=1                  print every apply
#   TERRAFORM=/path/to/terraform     default: terraform on PATH, else the .ci/run cache
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -z "${BENCH_QUICK:-}" && "${BENCH_TIME:-}" == 1x ]]; then
	export BENCH_QUICK=1
fi

if [[ "${BENCH_GO:-1}" != 0 ]]; then
	args=(-run '^$' -bench "${BENCH:-.}" -benchmem)
	if [[ -n "${BENCH_TIME:-}" ]]; then
		args+=(-benchtime "$BENCH_TIME")
	fi
	# bench/baseline has the same RPC benchmark as internal/provider: the floor.
	go test "${args[@]}" ./internal/... ./bench/baseline
fi

if [[ "${BENCH_APPLY:-1}" == 0 ]]; then
	exit 0
fi

terraform=${TERRAFORM:-$(command -v terraform || true)}
if [[ -z "$terraform" ]]; then
	cached="${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-media/bin/terraform"
	[[ -x "$cached" ]] && terraform=$cached
fi
if [[ -z "$terraform" ]]; then
	echo "bench: terraform not found on PATH or in the .ci/run cache; set TERRAFORM" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/media-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Both providers are built as releases are (.goreleaser.yml: no cgo, trimmed,
# stripped) into one directory, so start-up compares like with like: what a
# user downloads, with the same build and page-cache history. Plus the harness
# and the engine's test binary (measure 4 runs it as a child to read its RSS).
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
release_flags=(-trimpath -ldflags "-s -w -X main.version=bench -X main.commit=$commit")
echo "==> building both providers (release flags), bench/applybench, internal/verify test binary" >&2
CGO_ENABLED=0 go build "${release_flags[@]}" -o "$tmp/providers/terraform-provider-media" .
CGO_ENABLED=0 go build "${release_flags[@]}" -o "$tmp/providers/terraform-provider-baseline" ./bench/baseline
go build -o "$tmp/applybench" ./bench/applybench
go test -c -o "$tmp/verify.test" ./internal/verify

echo "==> $(env -u TF_CLI_CONFIG_FILE CHECKPOINT_DISABLE=1 "$terraform" version | head -n 1), $(nproc) cores" >&2
"$tmp/applybench" \
	-terraform "$terraform" \
	-provider-dir "$tmp/providers" \
	-baseline-dir "$tmp/providers" \
	-verify-test "$tmp/verify.test" \
	-tmp "$tmp"
