//go:build tools

// Pins metrics-server (for the metrics tests of the next issue; never shipped). It has its own
// module because its k8s.io dependencies are older than kube-apiserver's in ../kube.
package tools

import _ "sigs.k8s.io/metrics-server/cmd/metrics-server"
