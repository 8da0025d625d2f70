//go:build tools

// Pins kube-controller-manager from k8s.io/kubernetes (the same version as test/go/kube) for the
// kubelet-serving CSR test: its csrsigning controller issues certificates for the
// kubernetes.io/kubelet-serving signer. A module of its own, so adding it does not change the
// cache key of kube-apiserver, etcd and kubectl. Built by test/go/build.sh; never shipped.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
