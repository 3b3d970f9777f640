// Command fakekubelet is the node of the kubegen test harness: it serves the kubelet's
// streaming endpoints with the kubelet's own handlers (k8s.io/kubelet/pkg/cri/streaming:
// exec and attach over SPDY and websockets, port-forward, exit codes as a Status) and the
// container log endpoint, for scripted containers instead of real ones.
//
// kube-apiserver reaches it as it reaches a kubelet: over HTTPS at the address and port of a
// Node object (status.addresses, status.daemonEndpoints.kubeletEndpoint.port), with its
// --kubelet-client-certificate. This server requires that certificate: a client certificate
// signed by --client-ca-file whose common name is --client-cn.
//
// The paths are the ones kube-apiserver builds (k8s.io/kubernetes pkg/registry/core/pod
// strategy.go: streamLocation, PortForwardLocation, LogLocation):
//
//	/exec/{namespace}/{pod}/{container}?command=...&input=1&output=1&error=1&tty=1
//	/attach/{namespace}/{pod}/{container}?input=1&output=1&error=1&tty=1
//	/portForward/{namespace}/{pod}?port=80,443
//	/containerLogs/{namespace}/{pod}/{container}?follow=true&tailLines=N&timestamps=true&previous=true
//
// What the scripted commands and containers do is described in runtime.go. Once listening,
// the server writes {"port": P, "echoPort": E} to --ready-file (atomically), where E is a
// loopback echo server that port-forwards can reach.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// connKey is the request context key of the TLS connection a request arrived on: the
// `crash` command closes it to cut the API server off mid-stream, as a dying node would.
type connKey struct{}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	certFile := flag.String("tls-cert-file", "", "serving certificate (PEM)")
	keyFile := flag.String("tls-private-key-file", "", "serving key (PEM)")
	clientCA := flag.String("client-ca-file", "", "CA that signs the API server's client certificate (PEM)")
	clientCN := flag.String("client-cn", "", "required common name of the client certificate (empty: any)")
	readyFile := flag.String("ready-file", "", "where to write {\"port\", \"echoPort\"} once listening")
	flag.Parse()
	if err := run(*listen, *certFile, *keyFile, *clientCA, *clientCN, *readyFile); err != nil {
		fmt.Fprintf(os.Stderr, "fakekubelet: %v\n", err)
		os.Exit(1)
	}
}

func run(listen, certFile, keyFile, clientCA, clientCN, readyFile string) error {
	if certFile == "" || keyFile == "" || clientCA == "" || readyFile == "" {
		return errors.New("--tls-cert-file, --tls-private-key-file, --client-ca-file and --ready-file are required")
	}
	certificate, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("loading the serving certificate: %w", err)
	}
	caPEM, err := os.ReadFile(clientCA)
	if err != nil {
		return fmt.Errorf("reading the client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("%s holds no PEM certificate", clientCA)
	}

	echo, err := startEcho()
	if err != nil {
		return err
	}
	runtime := newRuntime()
	handler := requireClient(clientCN, routes(runtime))

	listener, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 30 * time.Second,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{certificate},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    pool,
			MinVersion:   tls.VersionTLS12,
		},
		ConnContext: func(ctx context.Context, conn net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, conn)
		},
	}
	port := listener.Addr().(*net.TCPAddr).Port
	if err := writeReady(readyFile, port, echo.Addr().(*net.TCPAddr).Port); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fakekubelet: serving on 127.0.0.1:%d\n", port)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		// Hijacked streaming connections are not closed by Shutdown; exiting closes them.
		os.Exit(0)
	}()
	return server.ServeTLS(listener, "", "")
}

// requireClient refuses requests whose verified client certificate is not named clientCN.
func requireClient(clientCN string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.TLS == nil || len(req.TLS.PeerCertificates) == 0 {
			http.Error(w, "a client certificate is required", http.StatusUnauthorized)
			return
		}
		if name := req.TLS.PeerCertificates[0].Subject.CommonName; clientCN != "" && name != clientCN {
			http.Error(w, fmt.Sprintf("client %q is not allowed", name), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, req)
	})
}

// writeReady writes the ports to path through a temporary file and a rename, so a reader
// never sees half a file.
func writeReady(path string, port, echoPort int) error {
	body, err := json.Marshal(map[string]int{"port": port, "echoPort": echoPort})
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, body, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", tmp, path, err)
	}
	return nil
}
