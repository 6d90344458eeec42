// Command mediaprobe is the server-side companion of terraform-provider-media.
//
//	mediaprobe respond --udp 3478,10000-10100 --tcp 443,3478 [--ttl 15m]
//	mediaprobe agent --listen 0.0.0.0:8443 --tls-cert F --tls-key F --allow CIDR|NAME[,...] --token-file F
//
// binds a media server's ports and answers STUN on them, so that the
// provider's media_server_reachability can prove the network path (security
// groups, firewalls, NAT) before the media software is installed. See
// README.md beside this file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version and commit are set at release time by goreleaser
// (-X main.version, -X main.commit).
var (
	version = "dev"
	commit  = "none"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed, e.g. a port is taken
	exitUsage = 2 // bad command line
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, give the signals back: a second Ctrl-C kills
	// the process if shutting down hangs.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and returns the process exit code. Ending
// ctx (SIGINT, SIGTERM) asks the subcommand to stop cleanly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mediaprobe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { printUsage(fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *showVersion {
		printVersion(stdout)
		return exitOK
	}
	if fs.NArg() == 0 {
		printUsage(fs)
		return exitUsage
	}
	switch name, rest := fs.Arg(0), fs.Args()[1:]; name {
	case "respond":
		return runRespond(ctx, rest, stderr)
	case "agent":
		return runAgent(ctx, rest, stderr)
	case "version":
		printVersion(stdout)
		return exitOK
	case "help":
		fs.SetOutput(stdout)
		printUsage(fs)
		return exitOK
	default:
		fmt.Fprintf(stderr, "mediaprobe: unknown command %q\n\n", name)
		printUsage(fs)
		return exitUsage
	}
}

func printVersion(w io.Writer) {
	fmt.Fprintf(w, "mediaprobe %s (commit %s)\n", version, commit)
}

// printUsage writes the top-level help to the flag set's output.
func printUsage(fs *flag.FlagSet) {
	fmt.Fprint(fs.Output(), `Usage: mediaprobe [--version] <command> [flags]

Commands:
  respond   bind ports and answer STUN on them until a TTL or a signal
  agent     serve verifications from here for the provider's remote vantage points
  version   print the version
  help      print this help

Run 'mediaprobe <command> -h' for the flags of a command.

Flags:
`)
	printFlags(fs)
}

// printFlags is fs.PrintDefaults with the two dashes that the usage lines
// and the README use: the flag package accepts one or two and prints one.
// Its flag lines are the ones indented by two spaces; usage text is
// indented by four and a tab.
func printFlags(fs *flag.FlagSet) {
	var b strings.Builder
	out := fs.Output()
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(out)
	for line := range strings.Lines(b.String()) {
		if rest, ok := strings.CutPrefix(line, "  -"); ok {
			line = "  --" + rest
		}
		_, _ = io.WriteString(out, line)
	}
}
