package main

import (
	"fmt"
	"io"
	"net"
)

// startEcho starts a TCP echo server on 127.0.0.1: what a port-forward in the tests reaches.
func startEcho() (net.Listener, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the echo server: %w", err)
	}
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _ = io.Copy(conn, conn)
			}()
		}
	}()
	return listener, nil
}
