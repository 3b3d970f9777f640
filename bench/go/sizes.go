package main

import (
	"flag"
	"unsafe"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// runSizes records unsafe.Sizeof of the types the Rust side lists in sizes.rs.
func runSizes(args []string) error {
	flags := flag.NewFlagSet("sizes", flag.ContinueOnError)
	out := flags.String("out", "", "results file")
	if err := flags.Parse(args); err != nil {
		return err
	}
	sizes := []struct {
		name string
		size uintptr
	}{
		{"Pod", unsafe.Sizeof(corev1.Pod{})},
		{"PodSpec", unsafe.Sizeof(corev1.PodSpec{})},
		{"PodStatus", unsafe.Sizeof(corev1.PodStatus{})},
		{"Container", unsafe.Sizeof(corev1.Container{})},
		{"ContainerStatus", unsafe.Sizeof(corev1.ContainerStatus{})},
		{"Probe", unsafe.Sizeof(corev1.Probe{})},
		{"EnvVar", unsafe.Sizeof(corev1.EnvVar{})},
		{"Volume", unsafe.Sizeof(corev1.Volume{})},
		{"ResourceRequirements", unsafe.Sizeof(corev1.ResourceRequirements{})},
		{"SecurityContext", unsafe.Sizeof(corev1.SecurityContext{})},
		{"PodCondition", unsafe.Sizeof(corev1.PodCondition{})},
		{"ObjectMeta", unsafe.Sizeof(metav1.ObjectMeta{})},
		{"ManagedFieldsEntry", unsafe.Sizeof(metav1.ManagedFieldsEntry{})},
		{"Time", unsafe.Sizeof(metav1.Time{})},
		{"Quantity", unsafe.Sizeof(resource.Quantity{})},
		{"ConfigMap", unsafe.Sizeof(corev1.ConfigMap{})},
	}
	var records []Record
	for _, s := range sizes {
		records = append(records, record("type-sizes", s.name, "bytes", library, float64(s.size), lower))
	}
	return writeRecords(*out, records)
}
