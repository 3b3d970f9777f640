package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// runRequests times sequential GETs of single ConfigMaps, then LISTs of 500 (as
// cluster/requests.rs does for the Rust clients).
func runRequests(args []string) error {
	flags := flag.NewFlagSet("requests", flag.ContinueOnError)
	kubeconfig := flags.String("kubeconfig", "", "kubeconfig of the control plane")
	namespace := flags.String("namespace", "", "namespace of the ConfigMaps")
	gets := flags.Int("gets", 2000, "sequential GETs")
	lists := flags.Int("lists", 100, "sequential LISTs of 500")
	if err := flags.Parse(args); err != nil {
		return err
	}
	cs, err := clientset(*kubeconfig)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	api := cs.CoreV1().ConfigMaps(*namespace)
	const page = 500
	list := func() ([]string, error) {
		result, err := api.List(ctx, metav1.ListOptions{Limit: page})
		if err != nil {
			return nil, fmt.Errorf("LIST: %w", err)
		}
		if len(result.Items) != page {
			return nil, fmt.Errorf("a LIST with limit %d returned %d ConfigMaps", page, len(result.Items))
		}
		names := make([]string, 0, len(result.Items))
		for i := range result.Items {
			names = append(names, result.Items[i].Name)
		}
		return names, nil
	}
	names, err := list()
	if err != nil {
		return err
	}
	started := time.Now()
	for i := 0; i < *gets; i++ {
		if _, err := api.Get(ctx, names[i%len(names)], metav1.GetOptions{}); err != nil {
			return fmt.Errorf("GET %s: %w", names[i%len(names)], err)
		}
	}
	getsPerSecond := float64(*gets) / time.Since(started).Seconds()
	started = time.Now()
	for i := 0; i < *lists; i++ {
		if _, err := list(); err != nil {
			return err
		}
	}
	listsPerSecond := float64(*lists) / time.Since(started).Seconds()
	return Message{Event: "requests", GetsPerSecond: &getsPerSecond, ListsPerSecond: &listsPerSecond}.send()
}
