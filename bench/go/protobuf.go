package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimepkg "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
)

// The protobuf fixtures, beside the JSON ones: the PodList as the API server sends it with
// `Accept: application/vnd.kubernetes.protobuf` (`k8s\0` and a runtime.Unknown envelope), and
// the watch stream as `;stream=watch` frames (a 4-byte big-endian length, then a
// metav1.WatchEvent whose object is a whole envelope).
const (
	protobufListFile  = "pods-list.pb"
	protobufWatchFile = "pods-watch.pb"
	// protobufLibrary names client-go's figures on the protobuf fixtures.
	protobufLibrary = "client-go (protobuf)"
)

// runProtobufFixtures writes the protobuf fixtures from the JSON ones, with client-go's own
// protobuf serializer (so the bytes are what kube-apiserver writes).
func runProtobufFixtures(args []string) error {
	flags := flag.NewFlagSet("protofixtures", flag.ContinueOnError)
	dir := flags.String("fixtures", "", "fixture directory")
	if err := flags.Parse(args); err != nil {
		return err
	}
	manifest, err := readManifest(*dir)
	if err != nil {
		return err
	}
	set := manifest.Pods
	data, err := readFixture(*dir, set.ListFile)
	if err != nil {
		return err
	}
	var list corev1.PodList
	if err := json.Unmarshal(data, &list); err != nil {
		return err
	}
	list.APIVersion, list.Kind = "v1", "PodList"
	serializer := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)
	var body bytes.Buffer
	if err := serializer.Encode(&list, &body); err != nil {
		return fmt.Errorf("encoding the PodList: %w", err)
	}
	if err := os.WriteFile(filepath.Join(*dir, protobufListFile), body.Bytes(), 0o644); err != nil {
		return err
	}
	watch, err := readFixture(*dir, set.WatchFile)
	if err != nil {
		return err
	}
	var frames bytes.Buffer
	for i, line := range lines(watch) {
		var event podEvent
		if err := json.Unmarshal(line, &event); err != nil {
			return fmt.Errorf("event %d: %w", i+1, err)
		}
		event.Object.APIVersion, event.Object.Kind = "v1", "Pod"
		var object bytes.Buffer
		if err := serializer.Encode(&event.Object, &object); err != nil {
			return fmt.Errorf("event %d: %w", i+1, err)
		}
		message := metav1.WatchEvent{Type: event.Type, Object: runtimepkg.RawExtension{Raw: object.Bytes()}}
		encoded, err := message.Marshal()
		if err != nil {
			return fmt.Errorf("event %d: %w", i+1, err)
		}
		var length [4]byte
		binary.BigEndian.PutUint32(length[:], uint32(len(encoded)))
		frames.Write(length[:])
		frames.Write(encoded)
	}
	fmt.Fprintf(os.Stderr, "protofixtures: %s %d bytes (JSON %d), %s %d bytes (JSON %d)\n",
		protobufListFile, body.Len(), len(data), protobufWatchFile, frames.Len(), len(watch))
	return os.WriteFile(filepath.Join(*dir, protobufWatchFile), frames.Bytes(), 0o644)
}

// splitFrames cuts a protobuf watch stream into its frames (outside the clock, as lines are
// for JSON).
func splitFrames(stream []byte) ([][]byte, error) {
	var frames [][]byte
	for len(stream) > 0 {
		if len(stream) < 4 {
			return nil, fmt.Errorf("a frame header cut short")
		}
		length := int(binary.BigEndian.Uint32(stream[:4]))
		if len(stream) < 4+length {
			return nil, fmt.Errorf("a frame of %d bytes cut short", length)
		}
		frames = append(frames, stream[4:4+length])
		stream = stream[4+length:]
	}
	return frames, nil
}

// listProtobuf decodes the protobuf PodList as a typed client-go client does.
func listProtobuf(decoder runtimepkg.Decoder, data []byte) (int, error) {
	var list corev1.PodList
	if _, _, err := decoder.Decode(data, nil, &list); err != nil {
		return 0, err
	}
	return containers(list.Items), nil
}

// watchProtobuf decodes frames as client-go's protobuf watch decoder does: the frame into
// metav1.WatchEvent, then its object (an envelope) through the codec.
func watchProtobuf(decoder runtimepkg.Decoder, frames [][]byte) (int, error) {
	total := 0
	for i, frame := range frames {
		var event metav1.WatchEvent
		if err := event.Unmarshal(frame); err != nil {
			return 0, fmt.Errorf("frame %d: %w", i+1, err)
		}
		object, err := runtimepkg.Decode(decoder, event.Object.Raw)
		if err != nil {
			return 0, fmt.Errorf("frame %d object: %w", i+1, err)
		}
		pod, ok := object.(*corev1.Pod)
		if !ok {
			return 0, fmt.Errorf("frame %d: decoded a %T", i+1, object)
		}
		total += len(pod.Spec.Containers)
	}
	return total, nil
}
