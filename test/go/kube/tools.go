//go:build tools

// Pins the upstream programs the real-API-server tests run (never shipped): kube-apiserver and
// kubectl from k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3. test/go/build.sh builds
// each one by package path; this file only keeps them in go.mod/go.sum.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
