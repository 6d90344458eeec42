#!/usr/bin/env bash
# `make test-matrix`: the acceptance tests once per Terraform version.
#
# The versions are the ones in TF_MATRIX_VERSIONS (default 1.5.7 1.8.5),
# each from TF_CACHE_DIR/tf-<version>/terraform, built there with
# `go install github.com/hashicorp/terraform@v<version>` when missing (4 to 9
# minutes each on a cold Go build cache; releases after 1.8.5 carry replace
# directives that `go install` refuses), and then TERRAFORM, the one on PATH
# (empty: none), unless its version is already in the list. Each run sets
# TF_ACC_TERRAFORM_PATH; the rest of the environment (TF_ACC, the empty CLI
# configuration, ...) comes from the GNUmakefile's TEST_ENV.
#
# Per version it runs ./internal/provider (the tests that match
# TF_MATRIX_RUN, or all of them when it is empty) and the root package's
# TestExamples and TestGroupSIGTERM. Tests that need a newer Terraform skip
# with tfversion checks. No -race: `make test` covers that, this covers
# Terraform. A failing version does not stop the others; the exit status
# says whether all passed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

cache_dir=${TF_CACHE_DIR:?set TF_CACHE_DIR, as make test-matrix does}
read -ra versions <<<"${TF_MATRIX_VERSIONS-1.5.7 1.8.5}"
timeout=${TEST_TIMEOUT:-15m}
run=${TF_MATRIX_RUN:-}

log() { printf '\n==> %s\n' "$*"; }

# tf_version prints the version a terraform reports, such as 1.11.4 or
# 1.8.5-dev (`go install` builds carry -dev).
tf_version() {
	CHECKPOINT_DISABLE=1 "$1" version -json | sed -n 's/^ *"terraform_version": *"\([^"]*\)".*/\1/p'
}

binaries=()
seen=()
for v in "${versions[@]}"; do
	tf="$cache_dir/tf-$v/terraform"
	if [[ ! -x "$tf" ]]; then
		log "Building Terraform v$v into $cache_dir/tf-$v"
		start=$SECONDS
		GOBIN="$cache_dir/tf-$v" go install "github.com/hashicorp/terraform@v$v"
		echo "built in $((SECONDS - start))s"
	fi
	got=$(tf_version "$tf")
	if [[ "${got%-dev}" != "$v" ]]; then
		echo "$tf reports version $got, not $v" >&2
		exit 1
	fi
	binaries+=("$tf")
	seen+=("$v")
done
if [[ -n "${TERRAFORM:-}" ]]; then
	got=$(tf_version "$TERRAFORM")
	if [[ " ${seen[*]} " != *" ${got%-dev} "* ]]; then
		binaries+=("$TERRAFORM")
	fi
fi
if [[ ${#binaries[@]} -eq 0 ]]; then
	echo "no Terraform to test with: set TF_MATRIX_VERSIONS or put terraform on PATH" >&2
	exit 1
fi

failed=()
summary=()
for tf in "${binaries[@]}"; do
	v=$(tf_version "$tf")
	log "Terraform $v ($tf)"
	start=$SECONDS
	ok=1
	TF_ACC_TERRAFORM_PATH="$tf" go test -count=1 -timeout "$timeout" ${run:+-run "$run"} ./internal/provider/ || ok=0
	TF_ACC_TERRAFORM_PATH="$tf" go test -count=1 -timeout "$timeout" -run '^(TestExamples|TestGroupSIGTERM.*)$' . || ok=0
	if [[ $ok == 1 ]]; then
		summary+=("Terraform $v: ok ($((SECONDS - start))s)")
	else
		summary+=("Terraform $v: FAIL ($((SECONDS - start))s)")
		failed+=("$v")
	fi
done

log "Matrix"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "test-matrix: failed with Terraform ${failed[*]}" >&2
	exit 1
fi
