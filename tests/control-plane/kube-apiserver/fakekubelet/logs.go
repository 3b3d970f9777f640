package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// rfc3339NanoFixed is the kubelet's timestamp format for log lines (k8s.io/cri-client
// pkg/logs: RFC3339NanoFixed), nanoseconds always nine digits.
const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

// logQuery is what the API server forwards of a PodLogOptions (LogLocation).
type logQuery struct {
	follow, previous, timestamps bool
	tailLines, limitBytes        int64 // -1: unset
	since                        time.Time
}

func parseLogQuery(req *http.Request) (logQuery, error) {
	values := req.URL.Query()
	query := logQuery{
		follow:     values.Get("follow") == "true",
		previous:   values.Get("previous") == "true",
		timestamps: values.Get("timestamps") == "true",
		tailLines:  -1,
		limitBytes: -1,
	}
	for name, target := range map[string]*int64{"tailLines": &query.tailLines, "limitBytes": &query.limitBytes} {
		if text := values.Get(name); text != "" {
			n, err := strconv.ParseInt(text, 10, 64)
			if err != nil || n < 0 {
				return query, fmt.Errorf("%s=%q is not a non-negative integer", name, text)
			}
			*target = n
		}
	}
	if text := values.Get("sinceSeconds"); text != "" {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n <= 0 {
			return query, fmt.Errorf("sinceSeconds=%q is not a positive integer", text)
		}
		query.since = time.Now().Add(-time.Duration(n) * time.Second)
	}
	if text := values.Get("sinceTime"); text != "" {
		t, err := time.Parse(time.RFC3339, text)
		if err != nil {
			return query, fmt.Errorf("sinceTime=%q: %w", text, err)
		}
		query.since = t
	}
	return query, nil
}

// serveLogs writes a container's log: the lines since `since`, the last `tailLines` of them,
// with timestamps if asked, and with `follow` every line added later until the container
// restarts or the client goes away; at most `limitBytes` bytes in all.
func (r *runtime) serveLogs(w http.ResponseWriter, req *http.Request) {
	query, err := parseLogQuery(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	pod, name := podName(req), req.PathValue("container")
	r.mu.Lock()
	c := r.containerLocked(pod, name)
	log := c.current
	if query.previous {
		log = c.previous
	}
	r.mu.Unlock()
	if log == nil {
		http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", name, req.PathValue("pod")),
			http.StatusBadRequest)
		return
	}

	w.Header().Set("Content-Type", "text/plain")
	flusher, _ := w.(http.Flusher)
	out := &limitedWriter{w: w, left: query.limitBytes}
	r.mu.Lock()
	lines, changed, ended := log.lines, log.changed, log.ended
	r.mu.Unlock()
	var selected []logLine
	for _, line := range lines {
		if !line.at.Before(query.since) {
			selected = append(selected, line)
		}
	}
	if query.tailLines >= 0 && int64(len(selected)) > query.tailLines {
		selected = selected[int64(len(selected))-query.tailLines:]
	}
	written := len(lines)
	for {
		for _, line := range selected {
			if !writeLine(out, line, query.timestamps) {
				return
			}
		}
		if flusher != nil {
			flusher.Flush()
		}
		if !query.follow || ended {
			return
		}
		select {
		case <-changed:
		case <-req.Context().Done():
			return
		}
		r.mu.Lock()
		lines, changed, ended = log.lines, log.changed, log.ended
		r.mu.Unlock()
		selected = lines[written:]
		written = len(lines)
	}
}

// writeLine writes one line; false when the client is gone or the byte limit is reached.
func writeLine(out *limitedWriter, line logLine, timestamps bool) bool {
	text := line.text + "\n"
	if timestamps {
		text = line.at.Format(rfc3339NanoFixed) + " " + text
	}
	_, err := io.WriteString(out, text)
	return err == nil
}

// limitedWriter writes at most `left` bytes (all when negative), then fails.
type limitedWriter struct {
	w    io.Writer
	left int64
}

var errLimitReached = fmt.Errorf("limitBytes reached")

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.left < 0 {
		return l.w.Write(p)
	}
	if l.left == 0 {
		return 0, errLimitReached
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.w.Write(p)
	l.left -= int64(n)
	if err == nil && l.left == 0 {
		err = errLimitReached
	}
	return n, err
}
