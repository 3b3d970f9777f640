package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/utils/exec"
)

// runtime is the scripted container runtime behind the kubelet's handlers. Containers have
// no processes; exec runs one of these commands (argv[0]):
//
//	echo WORDS...        writes the words and a newline to stdout
//	echo-stderr WORDS... the same to stderr (to stdout with a TTY, as a terminal would)
//	cat                  copies stdin to stdout until stdin is closed
//	exit CODE            exits with CODE (a NonZeroExitCode Status when CODE is not 0)
//	tty-resizes          writes "WIDTHxHEIGHT\n" for each terminal resize until stdin is closed
//	sleep SECONDS        waits, or until the session ends
//	crash                writes "ready\n", waits for a line on stdin, then closes the
//	                     connection it came on, as a node dying mid-stream would
//	log WORDS...         appends the words as a line to the container's log
//	restart              the container restarts: its log becomes the previous log, a new
//	                     empty one starts, and followers of the old one reach its end
//
// Any other command fails as a runtime error (a Status with reason InternalError).
//
// attach writes "attached to CONTAINER\n" and then copies stdin to stdout until it is closed.
// port-forward connects to that port on 127.0.0.1 (the "Pod's" loopback), for example the
// echo server started beside the kubelet.
type runtime struct {
	mu         sync.Mutex
	containers map[string]*container
}

// container is the log state of one container of one Pod.
type container struct {
	current  *containerLog
	previous *containerLog
}

type logLine struct {
	at   time.Time
	text string
}

// containerLog is one instance of a container's log.
type containerLog struct {
	lines []logLine
	// changed is closed (and replaced) when a line is added or the log ends.
	changed chan struct{}
	// ended is set when the container restarted: followers stop at the last line.
	ended bool
}

func newRuntime() *runtime {
	return &runtime{containers: map[string]*container{}}
}

func newLog() *containerLog {
	return &containerLog{changed: make(chan struct{})}
}

// containerLocked returns the state of pod/name, creating it. r.mu must be held.
func (r *runtime) containerLocked(pod, name string) *container {
	key := pod + "/" + name
	c, ok := r.containers[key]
	if !ok {
		c = &container{current: newLog()}
		r.containers[key] = c
	}
	return c
}

func (r *runtime) appendLog(pod, name, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	log := r.containerLocked(pod, name).current
	log.lines = append(log.lines, logLine{at: time.Now().UTC(), text: text})
	close(log.changed)
	log.changed = make(chan struct{})
}

func (r *runtime) restart(pod, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.containerLocked(pod, name)
	c.current.ended = true
	close(c.current.changed)
	c.current.changed = make(chan struct{})
	c.previous = c.current
	c.current = newLog()
}

// ExecInContainer runs a scripted command (see runtime).
func (r *runtime) ExecInContainer(ctx context.Context, pod string, _ types.UID, name string, cmd []string,
	in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize, _ time.Duration) error {
	if len(cmd) == 0 {
		return errors.New("no command given")
	}
	stdout := writerOrDiscard(out)
	stderr := writerOrDiscard(errOut)
	if tty {
		// A terminal has one output stream; the handlers pass no stderr writer.
		stderr = stdout
	}
	args := cmd[1:]
	switch cmd[0] {
	case "echo":
		_, err := fmt.Fprintln(stdout, strings.Join(args, " "))
		return err
	case "echo-stderr":
		_, err := fmt.Fprintln(stderr, strings.Join(args, " "))
		return err
	case "cat":
		if in == nil {
			return nil
		}
		_, err := io.Copy(stdout, in)
		return err
	case "exit":
		if len(args) != 1 {
			return errors.New("exit takes one argument, the code")
		}
		code, err := strconv.Atoi(args[0])
		if err != nil {
			return fmt.Errorf("exit code %q: %w", args[0], err)
		}
		if code == 0 {
			return nil
		}
		return utilexec.CodeExitError{Err: fmt.Errorf("exit status %d", code), Code: code}
	case "tty-resizes":
		return reportResizes(ctx, in, stdout, resize)
	case "sleep":
		seconds, err := strconv.Atoi(strings.Join(args, ""))
		if err != nil {
			return fmt.Errorf("sleep takes a number of seconds: %w", err)
		}
		select {
		case <-time.After(time.Duration(seconds) * time.Second):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	case "crash":
		return crash(ctx, in, stdout)
	case "log":
		r.appendLog(pod, name, strings.Join(args, " "))
		return nil
	case "restart":
		r.restart(pod, name)
		return nil
	default:
		return fmt.Errorf("executable file not found: %q", cmd[0])
	}
}

// AttachContainer greets and then copies stdin to stdout until stdin is closed.
func (r *runtime) AttachContainer(_ context.Context, _ string, _ types.UID, name string, in io.Reader,
	out, _ io.WriteCloser, _ bool, _ <-chan remotecommand.TerminalSize) error {
	stdout := writerOrDiscard(out)
	if _, err := fmt.Fprintf(stdout, "attached to %s\n", name); err != nil {
		return err
	}
	if in == nil {
		return nil
	}
	_, err := io.Copy(stdout, in)
	return err
}

// PortForward connects the stream to port on 127.0.0.1 and copies both ways until the
// port's side closes.
func (r *runtime) PortForward(_ context.Context, _ string, _ types.UID, port int32, stream io.ReadWriteCloser) error {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))), 5*time.Second)
	if err != nil {
		return fmt.Errorf("connecting to port %d: %w", port, err)
	}
	defer conn.Close()
	go func() {
		// Ends when the client's side of the stream closes (the handler closes it after
		// PortForward returns); then the port sees EOF.
		_, _ = io.Copy(conn, stream)
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
	}()
	_, err = io.Copy(stream, conn)
	return err
}

func reportResizes(ctx context.Context, in io.Reader, out io.Writer, resize <-chan remotecommand.TerminalSize) error {
	stdinClosed := make(chan struct{})
	go func() {
		if in != nil {
			_, _ = io.Copy(io.Discard, in)
		}
		close(stdinClosed)
	}()
	for {
		select {
		case size, ok := <-resize:
			if !ok {
				resize = nil
				continue
			}
			if _, err := fmt.Fprintf(out, "%dx%d\n", size.Width, size.Height); err != nil {
				return err
			}
		case <-stdinClosed:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func crash(ctx context.Context, in io.Reader, out io.Writer) error {
	if _, err := fmt.Fprintln(out, "ready"); err != nil {
		return err
	}
	if in != nil {
		_, _ = bufio.NewReader(in).ReadString('\n')
	}
	conn, ok := ctx.Value(connKey{}).(net.Conn)
	if !ok {
		return errors.New("crash: the request has no connection to close")
	}
	_ = conn.Close()
	return errors.New("crashed on purpose")
}

func writerOrDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
