#!/usr/bin/env bash
# `make demo`: build the provider and mediaprobe, then run two real
# `terraform apply`s of examples/quickstart against loopback ports:
#
#   1. mediaprobe answers STUN at once, but the TCP port opens ~3 s later:
#      the apply blocks until it does, then passes.
#   2. the TCP port is one nobody opens, with a 5 s create timeout: the apply
#      fails with an error naming the port. That failure is the expected outcome.
#
# Everything listens on 127.0.0.1 and lives in a temporary directory that is
# removed on exit, with every background process. Needs go and terraform on PATH.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
host=127.0.0.1
tcp_delay=3

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH"
command -v terraform >/dev/null || die "terraform is not on PATH (Terraform >= 1.5 is needed)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/media-demo.XXXXXX")
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# port_in_use reports whether any local TCP or UDP socket, IPv4 or IPv6, uses
# port $1 (/proc/net lists ports in upper-case hex after a colon).
port_in_use() {
	grep -qs -- "$(printf ':%04X ' "$1")" /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6
}

# free_port prints a port that no socket uses and that this script has not
# picked yet, below the usual ephemeral range (32768-60999).
picked=" "
free_port() {
	local p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 12000))
		if [[ "$picked" != *" $p "* ]] && ! port_in_use "$p"; then
			picked+="$p "
			echo "$p"
			return 0
		fi
	done
	die "no free loopback port found"
}

say "Building terraform-provider-media and mediaprobe into $tmp/bin"
(cd "$repo" && go build -o "$tmp/bin/terraform-provider-media" . && go build -o "$tmp/bin/mediaprobe" ./cmd/mediaprobe)

# dev_overrides makes Terraform use the binary just built, with no
# `terraform init` and no registry access.
cat >"$tmp/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "mediareach/media" = "$tmp/bin"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE="$tmp/terraformrc"
export CHECKPOINT_DISABLE=1

# Each apply gets its own working directory and state.
for run in pass fail; do
	mkdir -p "$tmp/$run"
	cp "$repo/examples/quickstart/main.tf" "$tmp/$run/"
done

stun_port=$(free_port)
tcp_port=$(free_port)
closed_port=$(free_port)

say "Starting mediaprobe respond: STUN on $host:$stun_port (UDP and TCP)"
"$tmp/bin/mediaprobe" respond --listen "$host" --udp "$stun_port" --tcp "$stun_port" --ttl 10m &
pids+=($!)

say "TCP $host:$tcp_port stays closed for ${tcp_delay}s, then a second mediaprobe opens it"
(sleep "$tcp_delay" && exec "$tmp/bin/mediaprobe" respond --listen "$host" --tcp "$tcp_port" --ttl 10m) &
pids+=($!)

sleep 0.5
kill -0 "${pids[0]}" 2>/dev/null || die "mediaprobe respond did not start (see its error above)"

say "Apply 1: blocks until TCP $tcp_port opens, then passes"
start=$SECONDS
terraform -chdir="$tmp/pass" apply -input=false -auto-approve \
	-var "host=$host" -var "stun_port=$stun_port" -var "tcp_port=$tcp_port"
say "Apply 1 passed after $((SECONDS - start))s: every port answered"

say "Apply 2: TCP $closed_port never opens; create timeout 5s"
start=$SECONDS
if terraform -chdir="$tmp/fail" apply -input=false -auto-approve \
	-var "host=$host" -var "stun_port=$stun_port" -var "tcp_port=$closed_port" -var "create_timeout=5s"; then
	die "apply 2 passed, but nothing listens on $host:$closed_port: it should have failed"
fi
say "Apply 2 failed after $((SECONDS - start))s, as it should: the error above names $host:$closed_port as closed"

say "Demo finished: the first apply waited for a late port, the second failed clearly on a port nobody opened"
