package testnet

import (
	"os"
	"testing"
)

// RequireAllEnv, set to 1 (as CI does), turns every skip for a missing
// capability (root, namespaces, a server binary, terraform) into a failure.
const RequireAllEnv = "MEDIA_REQUIRE_ALL_TESTS"

// SkipOrFail skips tb for reason, or fails it where every test must run.
func SkipOrFail(tb testing.TB, reason string) {
	tb.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		tb.Fatalf("%s=1 and: %s", RequireAllEnv, reason)
	}
	tb.Skip(reason)
}
