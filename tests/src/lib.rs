//! Test harness: a real kube-apiserver + etcd on loopback.
