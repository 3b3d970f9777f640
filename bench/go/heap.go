package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"

	corev1 "k8s.io/api/core/v1"
)

// runHeap is workload 2: each object of a watch file decoded and kept as a pointer in a map
// keyed by namespace/name; HeapAlloc growth after GC, per object.
func runHeap(args []string) error {
	flags := flag.NewFlagSet("heap", flag.ContinueOnError)
	dir := flags.String("fixtures", "", "fixture directory")
	out := flags.String("out", "", "results file")
	if err := flags.Parse(args); err != nil {
		return err
	}
	manifest, err := readManifest(*dir)
	if err != nil {
		return err
	}
	var records []Record
	cases := []struct {
		workload string
		set      KindSet
		fill     func([][]byte) (any, int, error)
	}{
		{"heap-pods", manifest.Pods, fillPods},
		{"heap-configmaps", manifest.ConfigMaps, fillConfigMaps},
	}
	for _, c := range cases {
		data, err := readFixture(*dir, c.set.WatchFile)
		if err != nil {
			return err
		}
		watchLines := lines(data)
		retained, count, err := retainedBy(func() (any, int, error) { return c.fill(watchLines) })
		if err != nil {
			return fmt.Errorf("%s: %w", c.workload, err)
		}
		if count != c.set.Count {
			return fmt.Errorf("%s: the cache held %d objects, expected %d", c.workload, count, c.set.Count)
		}
		runtime.KeepAlive(watchLines)
		perObject := float64(retained) / float64(c.set.Count)
		fmt.Fprintf(os.Stderr, "heap: %s: %s: %.0f B per object\n", c.workload, library, perObject)
		records = append(records,
			record(c.workload, "retained per object", "bytes", library, perObject, lower),
			record(c.workload, "ratio to JSON size", "×", library, perObject/c.set.objectBytesMean(), lower),
		)
	}
	return writeRecords(*out, records)
}

// retainedBy measures the live heap that the cache fill returns holds, after GC: the fixture
// bytes are loaded before the first reading, and the cache stays alive until the second.
func retainedBy(fill func() (any, int, error)) (int64, int, error) {
	heapAlloc := func() int64 {
		runtime.GC()
		runtime.GC()
		var stats runtime.MemStats
		runtime.ReadMemStats(&stats)
		return int64(stats.HeapAlloc)
	}
	before := heapAlloc()
	cache, count, err := fill()
	if err != nil {
		return 0, 0, err
	}
	after := heapAlloc()
	runtime.KeepAlive(cache)
	return after - before, count, nil
}

type configMapEvent struct {
	Type   string            `json:"type"`
	Object *corev1.ConfigMap `json:"object"`
}

type podPointerEvent struct {
	Type   string      `json:"type"`
	Object *corev1.Pod `json:"object"`
}

func fillPods(lines [][]byte) (any, int, error) {
	cache := make(map[string]*corev1.Pod)
	for i, line := range lines {
		var event podPointerEvent
		if err := json.Unmarshal(line, &event); err != nil {
			return nil, 0, fmt.Errorf("event %d: %w", i+1, err)
		}
		cache[event.Object.Namespace+"/"+event.Object.Name] = event.Object
	}
	return cache, len(cache), nil
}

func fillConfigMaps(lines [][]byte) (any, int, error) {
	cache := make(map[string]*corev1.ConfigMap)
	for i, line := range lines {
		var event configMapEvent
		if err := json.Unmarshal(line, &event); err != nil {
			return nil, 0, fmt.Errorf("event %d: %w", i+1, err)
		}
		cache[event.Object.Namespace+"/"+event.Object.Name] = event.Object
	}
	return cache, len(cache), nil
}
