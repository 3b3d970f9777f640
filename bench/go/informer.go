package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	clientfeatures "k8s.io/client-go/features"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

// revisionKey is the data key the orchestrator's updates set (cluster/probe.rs).
const revisionKey = "bench-rev"

// clientset builds a clientset from a kubeconfig with client-side rate limiting off (its
// default of 5 QPS would decide every figure).
func clientset(kubeconfig string) (*kubernetes.Clientset, error) {
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %s: %w", kubeconfig, err)
	}
	config.QPS = -1
	cs, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("building the clientset: %w", err)
	}
	return cs, nil
}

// runInformer syncs a SharedInformerFactory ConfigMap informer, reports `synced`, then counts
// the updates carrying this round's token and reports `done`.
func runInformer(args []string) error {
	started := time.Now()
	flags := flag.NewFlagSet("informer", flag.ContinueOnError)
	kubeconfig := flags.String("kubeconfig", "", "kubeconfig of the control plane")
	namespace := flags.String("namespace", "", "namespace of the ConfigMaps")
	expect := flags.Int("expect", 0, "ConfigMaps the synced cache must hold")
	updates := flags.Int64("updates", 0, "updates to wait for")
	token := flags.String("token", "", "prefix of this round's bench-rev values")
	if err := flags.Parse(args); err != nil {
		return err
	}
	cs, err := clientset(*kubeconfig)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(*namespace))
	informer := factory.Core().V1().ConfigMaps().Informer()
	var seen atomic.Int64
	allSeen := make(chan struct{})
	if *updates == 0 {
		// A sync-only round: nothing to wait for after the sync.
		close(allSeen)
	}
	_, err = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, newObject any) {
			configMap, ok := newObject.(*corev1.ConfigMap)
			if ok && strings.HasPrefix(configMap.Data[revisionKey], *token) && seen.Add(1) == *updates {
				close(allSeen)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("adding the handler: %w", err)
	}
	factory.Start(ctx.Done())
	// Stop the informers (cancel) before waiting for them to end (Shutdown).
	defer func() {
		cancel()
		factory.Shutdown()
	}()
	for informerType, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("the %v informer did not sync", informerType)
		}
	}
	syncSeconds := time.Since(started).Seconds()
	cached := len(informer.GetStore().ListKeys())
	if cached != *expect {
		return fmt.Errorf("the synced cache holds %d ConfigMaps, expected %d", cached, *expect)
	}
	rss, _, err := rssMB()
	if err != nil {
		return err
	}
	note := fmt.Sprintf("client-go WatchListClient feature: %v", clientfeatures.FeatureGates().Enabled(clientfeatures.WatchListClient))
	if err := (Message{Event: "synced", Cached: &cached, SyncSeconds: &syncSeconds, RSSMB: &rss, Note: note}).send(); err != nil {
		return err
	}
	select {
	case <-allSeen:
	case <-ctx.Done():
		return errors.New("timed out waiting for the updates")
	}
	_, peak, err := rssMB()
	if err != nil {
		return err
	}
	count := int(seen.Load())
	return Message{Event: "done", PeakRSSMB: &peak, UpdatesSeen: &count}.send()
}
