// Package applybench times whole `terraform apply` runs of this provider
// against bench/baseline, a minimal framework provider, for `make bench`.
//
// It is all tests. TestApply runs only from bench/run.sh, which builds the
// binaries and names their directory in BENCH_BIN; under `go test ./...` it
// skips, and the other tests check the harness's own arithmetic.
package applybench
