package main

import (
	"net/http"
	"time"

	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/kubelet/pkg/cri/streaming/portforward"
	"k8s.io/kubelet/pkg/cri/streaming/remotecommand"
)

// The kubelet's defaults (pkg/kubelet/apis/config: streamingConnectionIdleTimeout 4h; the
// stream creation timeout of k8s.io/apimachinery/pkg/util/remotecommand).
const (
	idleTimeout           = 4 * time.Hour
	streamCreationTimeout = remotecommandconsts.DefaultStreamCreationTimeout
)

// routes serves the kubelet paths kube-apiserver calls, with the kubelet's own streaming
// handlers in front of the scripted runtime.
func routes(runtime *runtime) http.Handler {
	mux := http.NewServeMux()
	exec := func(w http.ResponseWriter, req *http.Request) {
		options, err := remotecommand.NewOptions(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		command := req.URL.Query()["command"]
		remotecommand.ServeExec(w, req, runtime, podName(req), "", req.PathValue("container"), command, options,
			idleTimeout, streamCreationTimeout, remotecommandconsts.SupportedStreamingProtocols)
	}
	attach := func(w http.ResponseWriter, req *http.Request) {
		options, err := remotecommand.NewOptions(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		remotecommand.ServeAttach(w, req, runtime, podName(req), "", req.PathValue("container"), options,
			idleTimeout, streamCreationTimeout, remotecommandconsts.SupportedStreamingProtocols)
	}
	portForward := func(w http.ResponseWriter, req *http.Request) {
		options, err := portforward.NewV4Options(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		portforward.ServePortForward(w, req, runtime, podName(req), "", options,
			idleTimeout, streamCreationTimeout, portforward.SupportedProtocols)
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		mux.HandleFunc(method+" /exec/{namespace}/{pod}/{container}", exec)
		mux.HandleFunc(method+" /attach/{namespace}/{pod}/{container}", attach)
		mux.HandleFunc(method+" /portForward/{namespace}/{pod}", portForward)
	}
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", runtime.serveLogs)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	return mux
}

// podName is "namespace/pod", the key the scripted runtime keeps per-Pod state under.
func podName(req *http.Request) string {
	return req.PathValue("namespace") + "/" + req.PathValue("pod")
}
