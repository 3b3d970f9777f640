// Command kubegen-bench-go is the client-go side of kubegen's benchmarks. bench/run.sh runs
// it beside the Rust bench binary on the same fixtures and the same API server; it writes the
// same JSON result records (results.go) and speaks the same child protocol (protocol.go).
//
//	kubegen-bench-go decode   --fixtures DIR --out FILE [--iterations N]
//	kubegen-bench-go heap     --fixtures DIR --out FILE
//	kubegen-bench-go sizes    --out FILE
//	kubegen-bench-go informer --kubeconfig F --namespace NS --expect N --updates N --token T
//	kubegen-bench-go requests --kubeconfig F --namespace NS --gets N --lists N
//	kubegen-bench-go streams  --kubeconfig F --namespace NS --pod P --port N --forward-bytes N --execs N --echoes N
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kubegen-bench-go decode|protofixtures|heap|sizes|informer|requests|streams [flags]")
		os.Exit(2)
	}
	commands := map[string]func([]string) error{
		"decode":        runDecode,
		"protofixtures": runProtobufFixtures,
		"heap":          runHeap,
		"sizes":         runSizes,
		"informer":      runInformer,
		"requests":      runRequests,
		"streams":       runStreams,
	}
	command, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	if err := command(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "kubegen-bench-go %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
