// Package scenario holds end-to-end tests that build their own hosts: a
// client and a server network namespace joined by a veth pair, with an
// nftables ruleset in the server playing the security group. The engine
// runs in the client namespace and the responder in the server namespace,
// each in a re-executed copy of the test binary, so verdicts such as
// "filtered" and "closed" come from a real firewall seen from outside.
//
// The lab (lab_test.go, lab_incident_test.go) replays the incident behind
// the agents: namespaces "internet" (a `mediaprobe agent`), "vpc" (terraform
// with this provider), a router and three media servers running `mediaprobe
// respond` behind nftables security groups, with both binaries built from
// this repository and driven through real `terraform apply`.
// lab_cases_test.go adds a dual-stack server for what the incident does not
// show, and lab_loss_test.go runs many verifications through the agent
// across a lossy path.
//
// The package has no code of its own; the tests are Linux-only, need root,
// iproute2 and nftables (the lab also terraform and the go tool), and skip
// without them unless MEDIA_REQUIRE_ALL_TESTS=1.
package scenario
