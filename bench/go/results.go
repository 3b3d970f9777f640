package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// Record is one figure, the same format as the Rust side's results::Record.
type Record struct {
	Workload string   `json:"workload"`
	Metric   string   `json:"metric"`
	Unit     string   `json:"unit"`
	Library  string   `json:"library"`
	Value    *float64 `json:"value"`
	Better   string   `json:"better"`
	Note     string   `json:"note,omitempty"`
}

const (
	higher = "higher"
	lower  = "lower"
	// library is the name of this side in the results.
	library = "client-go"
	// codecLibrary names figures taken with client-go's own decoder rather than encoding/json.
	codecLibrary = "client-go (codec)"
)

func record(workload, metric, unit, lib string, value float64, better string) Record {
	return Record{Workload: workload, Metric: metric, Unit: unit, Library: lib, Value: &value, Better: better}
}

func writeRecords(path string, records []Record) error {
	data, err := json.MarshalIndent(records, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	fmt.Fprintf(os.Stderr, "wrote %d records to %s\n", len(records), path)
	return nil
}
