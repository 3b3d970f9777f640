package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Manifest mirrors the Rust side's fixtures/manifest.rs.
type Manifest struct {
	Format     int     `json:"format"`
	Seed       uint64  `json:"seed"`
	Pods       KindSet `json:"pods"`
	ConfigMaps KindSet `json:"config_maps"`
}

// KindSet describes the fixture files of one kind.
type KindSet struct {
	Count       int    `json:"count"`
	ListFile    string `json:"list_file"`
	WatchFile   string `json:"watch_file"`
	ListBytes   int    `json:"list_bytes"`
	WatchBytes  int    `json:"watch_bytes"`
	ObjectBytes int    `json:"object_bytes"`
	Checksum    int    `json:"checksum"`
}

func (k KindSet) objectBytesMean() float64 {
	return float64(k.ObjectBytes / k.Count)
}

func readManifest(dir string) (Manifest, error) {
	var manifest Manifest
	path := filepath.Join(dir, "manifest.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return manifest, fmt.Errorf("reading %s (run `kubegen-bench fixtures`): %w", path, err)
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return manifest, fmt.Errorf("decoding %s: %w", path, err)
	}
	return manifest, nil
}

func readFixture(dir, name string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("reading fixture: %w", err)
	}
	return data, nil
}

// lines splits a watch file into its non-empty lines (sharing the file's memory).
func lines(data []byte) [][]byte {
	var out [][]byte
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if len(line) > 0 {
			out = append(out, line)
		}
	}
	return out
}
