// Package scenario holds end-to-end tests that build their own hosts: a
// client and a server network namespace joined by a veth pair, with an
// nftables ruleset in the server playing the security group. The engine
// runs in the client namespace and the responder in the server namespace,
// each in a re-executed copy of the test binary, so verdicts such as
// "filtered" and "closed" come from a real firewall seen from outside.
//
// The package has no code of its own; the tests are Linux-only, need root,
// iproute2 and nftables, and skip without them unless
// MEDIA_REQUIRE_ALL_TESTS=1.
package scenario
