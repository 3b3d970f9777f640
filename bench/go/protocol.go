package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Message is one line of the child protocol, the same as the Rust side's cluster/protocol.rs.
type Message struct {
	Event          string   `json:"event"`
	Cached         *int     `json:"cached,omitempty"`
	SyncSeconds    *float64 `json:"sync_seconds,omitempty"`
	RSSMB          *float64 `json:"rss_mb,omitempty"`
	PeakRSSMB      *float64 `json:"peak_rss_mb,omitempty"`
	UpdatesSeen    *int     `json:"updates_seen,omitempty"`
	GetsPerSecond  *float64 `json:"gets_per_second,omitempty"`
	ListsPerSecond *float64 `json:"lists_per_second,omitempty"`
	// streams: port-forward MB/s each way, exec round trip ms, stdin round trip µs.
	ForwardMBPerSecond *float64 `json:"forward_mb_per_second,omitempty"`
	ExecMS             *float64 `json:"exec_ms,omitempty"`
	EchoUS             *float64 `json:"echo_us,omitempty"`
	Note               string   `json:"note,omitempty"`
}

func (m Message) send() error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding a protocol message: %w", err)
	}
	_, err = fmt.Fprintf(os.Stdout, "%s\n", data)
	return err
}

// rssMB returns the current and the peak resident set size, in MB, from /proc/self/status.
func rssMB() (float64, float64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, fmt.Errorf("reading /proc/self/status: %w", err)
	}
	field := func(name string) (float64, error) {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, name) {
				text := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(line, name)), "kB"))
				kib, err := strconv.ParseFloat(text, 64)
				if err != nil {
					return 0, fmt.Errorf("parsing %q: %w", line, err)
				}
				return kib * 1024 / 1e6, nil
			}
		}
		return 0, fmt.Errorf("no %s in /proc/self/status", name)
	}
	current, err := field("VmRSS:")
	if err != nil {
		return 0, 0, err
	}
	peak, err := field("VmHWM:")
	return current, peak, err
}
