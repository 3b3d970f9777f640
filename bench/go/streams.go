package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
)

// echoMessage is the stdin line of the echo round trips (cluster/streams.rs: ECHO_MESSAGE).
var echoMessage = []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n")

// chunk is each write and read of the throughput measurement (cluster/streams.rs: CHUNK).
const chunk = 1 << 20

// runStreams measures what cluster/streams.rs measures for the Rust clients, the way kubectl
// 1.35 talks: port-forward over SPDY tunnelled in a websocket (NewSPDYOverWebsocketDialer,
// kubectl's default since 1.31), exec over v5.channel.k8s.io (NewWebSocketExecutor).
func runStreams(args []string) error {
	flags := flag.NewFlagSet("streams", flag.ContinueOnError)
	kubeconfig := flags.String("kubeconfig", "", "kubeconfig of the control plane")
	namespace := flags.String("namespace", "", "the Pod's namespace")
	pod := flags.String("pod", "", "the Pod")
	port := flags.Int("port", 0, "the Pod's port with the echo server")
	forwardBytes := flags.Int("forward-bytes", 256<<20, "bytes sent and echoed back")
	execs := flags.Int("execs", 100, "sequential echo execs timed")
	echoes := flags.Int("echoes", 2000, "round trips through cat")
	if err := flags.Parse(args); err != nil {
		return err
	}
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("loading kubeconfig %s: %w", *kubeconfig, err)
	}
	config.QPS = -1
	cs, err := kubernetes.NewForConfig(config)
	if err != nil {
		return fmt.Errorf("building the clientset: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	forward, err := forwardThroughput(cs, config, *namespace, *pod, *port, *forwardBytes)
	if err != nil {
		return fmt.Errorf("port-forward: %w", err)
	}
	fmt.Fprintf(os.Stderr, "streams: client-go: port-forward %.0f MB/s each way\n", forward)
	execMS, err := execRoundTrips(ctx, cs, config, *namespace, *pod, *execs)
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	fmt.Fprintf(os.Stderr, "streams: client-go: exec round trip %.1f ms\n", execMS)
	echoUS, err := echoRoundTrips(ctx, cs, config, *namespace, *pod, *echoes)
	if err != nil {
		return fmt.Errorf("exec cat: %w", err)
	}
	return Message{Event: "streams", ForwardMBPerSecond: &forward, ExecMS: &execMS, EchoUS: &echoUS}.send()
}

// forwardThroughput opens one forwarded stream to port and sends bytes through the echo while
// reading them back, in 1 MiB writes and reads, after 1 MiB untimed; MB/s each way.
func forwardThroughput(cs *kubernetes.Clientset, config *rest.Config, namespace, pod string, port, total int) (float64, error) {
	url := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).SubResource("portforward").URL()
	dialer, err := portforward.NewSPDYOverWebsocketDialer(url, config)
	if err != nil {
		return 0, err
	}
	conn, _, err := dialer.Dial(portforward.PortForwardProtocolV1Name)
	if err != nil {
		return 0, fmt.Errorf("dialing: %w", err)
	}
	defer conn.Close()
	// As client-go's PortForwarder does for each connection: an error stream, then a data
	// stream, with the port and a request id.
	headers := http.Header{}
	headers.Set(corev1.StreamType, corev1.StreamTypeError)
	headers.Set(corev1.PortHeader, strconv.Itoa(port))
	headers.Set(corev1.PortForwardRequestIDHeader, "0")
	errorStream, err := conn.CreateStream(headers)
	if err != nil {
		return 0, fmt.Errorf("creating the error stream: %w", err)
	}
	errorStream.Close()
	headers.Set(corev1.StreamType, corev1.StreamTypeData)
	data, err := conn.CreateStream(headers)
	if err != nil {
		return 0, fmt.Errorf("creating the data stream: %w", err)
	}
	defer data.Close()

	payload := make([]byte, chunk)
	for i := range payload {
		payload[i] = byte(i % 251)
	}
	buffer := make([]byte, chunk)
	warm := make(chan error, 1)
	go func() { _, err := data.Write(payload); warm <- err }()
	if _, err := io.ReadFull(data, buffer); err != nil {
		return 0, fmt.Errorf("warm-up read: %w", err)
	}
	if err := <-warm; err != nil {
		return 0, fmt.Errorf("warm-up write: %w", err)
	}
	if !bytes.Equal(buffer, payload) {
		return 0, errors.New("the echo changed the warm-up megabyte")
	}
	started := time.Now()
	written := make(chan error, 1)
	go func() {
		for left := total; left > 0; {
			n := min(left, chunk)
			if _, err := data.Write(payload[:n]); err != nil {
				written <- err
				return
			}
			left -= n
		}
		written <- nil
	}()
	for received := 0; received < total; {
		n, err := data.Read(buffer)
		if err != nil {
			return 0, fmt.Errorf("reading the echo after %d of %d bytes: %w", received, total, err)
		}
		received += n
	}
	elapsed := time.Since(started)
	if err := <-written; err != nil {
		return 0, fmt.Errorf("writing: %w", err)
	}
	return float64(total) / 1e6 / elapsed.Seconds(), nil
}

// executor runs command in the Pod over v5.channel.k8s.io.
func executor(cs *kubernetes.Clientset, config *rest.Config, namespace, pod string, command []string, stdin bool) (remotecommand.Executor, error) {
	request := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Command: command, Stdin: stdin, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	return remotecommand.NewWebSocketExecutor(config, "GET", request.URL().String())
}

// execRoundTrips times whole `exec echo hi` runs (upgrade, output, exit status), once untimed
// and count times timed; the median in ms.
func execRoundTrips(ctx context.Context, cs *kubernetes.Clientset, config *rest.Config, namespace, pod string, count int) (float64, error) {
	run := func() error {
		exec, err := executor(cs, config, namespace, pod, []string{"echo", "hi"}, false)
		if err != nil {
			return err
		}
		var stdout, stderr bytes.Buffer
		if err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}); err != nil {
			return err
		}
		if stdout.String() != "hi\n" {
			return fmt.Errorf("exec echo wrote %q", stdout.String())
		}
		return nil
	}
	if err := run(); err != nil {
		return 0, err
	}
	samples := make([]time.Duration, 0, count)
	for i := 0; i < count; i++ {
		started := time.Now()
		if err := run(); err != nil {
			return 0, err
		}
		samples = append(samples, time.Since(started))
	}
	return median(samples).Seconds() * 1e3, nil
}

// echoRoundTrips writes a 64-byte line to cat's stdin and reads it back, once untimed and
// count times timed; the median in µs.
func echoRoundTrips(ctx context.Context, cs *kubernetes.Clientset, config *rest.Config, namespace, pod string, count int) (float64, error) {
	exec, err := executor(cs, config, namespace, pod, []string{"cat"}, true)
	if err != nil {
		return 0, err
	}
	stdinReader, stdinWriter := io.Pipe()
	stdoutReader, stdoutWriter := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: stdinReader, Stdout: stdoutWriter, Stderr: io.Discard})
		stdoutWriter.CloseWithError(err)
		done <- err
	}()
	lines := bufio.NewReader(stdoutReader)
	samples := make([]time.Duration, 0, count)
	for round := 0; round <= count; round++ {
		started := time.Now()
		if _, err := stdinWriter.Write(echoMessage); err != nil {
			return 0, fmt.Errorf("writing stdin: %w", err)
		}
		line, err := lines.ReadBytes('\n')
		if err != nil {
			return 0, fmt.Errorf("reading stdout: %w", err)
		}
		if round > 0 {
			samples = append(samples, time.Since(started))
		}
		if !bytes.Equal(line, echoMessage) {
			return 0, fmt.Errorf("cat answered %q", line)
		}
	}
	stdinWriter.Close()
	if err := <-done; err != nil {
		return 0, fmt.Errorf("cat's exit: %w", err)
	}
	return median(samples).Seconds() * 1e6, nil
}

func median(samples []time.Duration) time.Duration {
	sorted := append([]time.Duration(nil), samples...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	switch n := len(sorted); {
	case n == 0:
		return 0
	case n%2 == 1:
		return sorted[n/2]
	default:
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
}
