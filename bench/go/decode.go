package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimepkg "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

// runDecode is workload 1: the PodList and the watch stream, with encoding/json (what the
// brief compares) and with client-go's codec (what a typed client runs).
func runDecode(args []string) error {
	flags := flag.NewFlagSet("decode", flag.ContinueOnError)
	dir := flags.String("fixtures", "", "fixture directory")
	out := flags.String("out", "", "results file")
	iterations := flags.Int("iterations", 5, "timed runs after the warm-up")
	if err := flags.Parse(args); err != nil {
		return err
	}
	manifest, err := readManifest(*dir)
	if err != nil {
		return err
	}
	set := manifest.Pods
	list, err := readFixture(*dir, set.ListFile)
	if err != nil {
		return err
	}
	watch, err := readFixture(*dir, set.WatchFile)
	if err != nil {
		return err
	}
	watchLines := lines(watch)
	decoder := scheme.Codecs.UniversalDeserializer()
	protobufList, err := readFixture(*dir, protobufListFile)
	if err != nil {
		return err
	}
	protobufWatch, err := readFixture(*dir, protobufWatchFile)
	if err != nil {
		return err
	}
	frames, err := splitFrames(protobufWatch)
	if err != nil {
		return err
	}
	// Throughput is over the bytes each case decodes (protobuf bodies are smaller).
	cases := []struct {
		lib                   string
		listBytes, watchBytes int
		list                  func() (int, error)
		watch                 func() (int, error)
	}{
		{library, set.ListBytes, set.WatchBytes, func() (int, error) { return listJSON(list) }, func() (int, error) { return watchJSON(watchLines) }},
		{codecLibrary, set.ListBytes, set.WatchBytes, func() (int, error) { return listCodec(decoder, list) }, func() (int, error) { return watchCodec(decoder, watchLines) }},
		{protobufLibrary, len(protobufList), len(protobufWatch), func() (int, error) { return listProtobuf(decoder, protobufList) }, func() (int, error) { return watchProtobuf(decoder, frames) }},
	}
	var records []Record
	for _, c := range cases {
		listTime, err := medianOf(*iterations, set, c.list)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", c.lib, set.ListFile, err)
		}
		watchTime, err := medianOf(*iterations, set, c.watch)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", c.lib, set.WatchFile, err)
		}
		fmt.Fprintf(os.Stderr, "decode: %s: list %v, watch %v\n", c.lib, listTime, watchTime)
		count := float64(set.Count)
		records = append(records,
			record("decode-pod-list", "throughput", "MB/s", c.lib, float64(c.listBytes)/1e6/listTime.Seconds(), higher),
			record("decode-pod-list", "items", "items/s", c.lib, count/listTime.Seconds(), higher),
			record("decode-pod-list", "time per list", "ms", c.lib, listTime.Seconds()*1e3, lower),
			record("decode-pod-watch", "events", "events/s", c.lib, count/watchTime.Seconds(), higher),
			record("decode-pod-watch", "throughput", "MB/s", c.lib, float64(c.watchBytes)/1e6/watchTime.Seconds(), higher),
		)
	}
	return writeRecords(*out, records)
}

// medianOf runs f once untimed and n times timed (after a GC each, outside the clock),
// checks the checksum it returns, and gives the median time.
func medianOf(n int, set KindSet, f func() (int, error)) (time.Duration, error) {
	var samples []time.Duration
	for i := 0; i <= n; i++ {
		runtime.GC()
		started := time.Now()
		checksum, err := f()
		elapsed := time.Since(started)
		if err != nil {
			return 0, err
		}
		if checksum != set.Checksum {
			return 0, fmt.Errorf("checksum %d, expected %d", checksum, set.Checksum)
		}
		if i > 0 {
			samples = append(samples, elapsed)
		}
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	if len(samples)%2 == 1 {
		return samples[len(samples)/2], nil
	}
	return (samples[len(samples)/2-1] + samples[len(samples)/2]) / 2, nil
}

func containers(pods []corev1.Pod) int {
	total := 0
	for i := range pods {
		total += len(pods[i].Spec.Containers)
	}
	return total
}

func listJSON(data []byte) (int, error) {
	var list corev1.PodList
	if err := json.Unmarshal(data, &list); err != nil {
		return 0, err
	}
	return containers(list.Items), nil
}

func listCodec(decoder runtimepkg.Decoder, data []byte) (int, error) {
	var list corev1.PodList
	if _, _, err := decoder.Decode(data, nil, &list); err != nil {
		return 0, err
	}
	return containers(list.Items), nil
}

// podEvent is a watch event with its object typed, for encoding/json.
type podEvent struct {
	Type   string     `json:"type"`
	Object corev1.Pod `json:"object"`
}

func watchJSON(lines [][]byte) (int, error) {
	total := 0
	for i, line := range lines {
		var event podEvent
		if err := json.Unmarshal(line, &event); err != nil {
			return 0, fmt.Errorf("event %d: %w", i+1, err)
		}
		total += len(event.Object.Spec.Containers)
	}
	return total, nil
}

// watchCodec decodes as client-go's watch decoder does: the event envelope into
// metav1.WatchEvent, then its raw object through the codec.
func watchCodec(decoder runtimepkg.Decoder, lines [][]byte) (int, error) {
	total := 0
	for i, line := range lines {
		var event metav1.WatchEvent
		if _, _, err := decoder.Decode(line, nil, &event); err != nil {
			return 0, fmt.Errorf("event %d: %w", i+1, err)
		}
		object, err := runtimepkg.Decode(decoder, event.Object.Raw)
		if err != nil {
			return 0, fmt.Errorf("event %d object: %w", i+1, err)
		}
		pod, ok := object.(*corev1.Pod)
		if !ok {
			return 0, fmt.Errorf("event %d: decoded a %T", i+1, object)
		}
		total += len(pod.Spec.Containers)
	}
	return total, nil
}
