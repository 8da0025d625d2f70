// A stand-in for kubernetes-csi/node-driver-registrar, used only by nodelet's tests.
//
// The real registrar's Go module is not served by the module proxy this project can reach
// (403 for every version), so this program plays its part with the same upstream APIs
// (k8s.io/kubelet pluginregistration/v1 and the CSI spec) and the same observable behaviour
// (kubelet-node-contract.md 4.4):
//   - asks the CSI driver at --csi-address for its name (Identity.GetPluginInfo), retrying
//     until the driver answers;
//   - serves the kubelet's Registration service on
//     <--plugin-registration-path>/<driver>-reg.sock, created with umask 0077;
//   - GetInfo answers {type CSIPlugin, name, endpoint = --kubelet-registration-path,
//     supported_versions = ["1.0.0"]};
//   - NotifyRegistrationStatus(false) logs the registrar's message and exits 1, so the
//     kubelet (here nodelet) restarts the container;
//   - SIGTERM removes the -reg.sock (which deregisters the plugin) and exits 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	csi "github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

var (
	csiAddress       = flag.String("csi-address", "/run/csi/socket", "CSI driver socket inside the container")
	kubeletRegPath   = flag.String("kubelet-registration-path", "", "host path of the CSI driver socket, sent to the kubelet")
	pluginRegDir     = flag.String("plugin-registration-path", "/registration", "directory of the registration socket")
	operationTimeout = flag.Duration("timeout", time.Second, "timeout of each call to the CSI driver")
)

type registrar struct {
	registerapi.UnimplementedRegistrationServer
	driver string
}

func (r *registrar) GetInfo(ctx context.Context, _ *registerapi.InfoRequest) (*registerapi.PluginInfo, error) {
	log.Printf("Received GetInfo call: %+v", ctx)
	return &registerapi.PluginInfo{
		Type:              registerapi.CSIPlugin,
		Name:              r.driver,
		Endpoint:          *kubeletRegPath,
		SupportedVersions: []string{"1.0.0"},
	}, nil
}

func (r *registrar) NotifyRegistrationStatus(_ context.Context, status *registerapi.RegistrationStatus) (*registerapi.RegistrationStatusResponse, error) {
	log.Printf("Received NotifyRegistrationStatus call: %+v", status)
	if !status.PluginRegistered {
		log.Printf("Registration process failed with error: %+v, restarting registration container.", status.Error)
		os.Exit(1)
	}
	return &registerapi.RegistrationStatusResponse{}, nil
}

// driverName asks the CSI driver for its name, waiting for the driver's socket to answer.
func driverName() string {
	conn, err := grpc.NewClient("unix://"+*csiAddress, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatalf("error connecting to CSI driver: %v", err)
	}
	defer conn.Close()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), *operationTimeout)
		info, err := csi.NewIdentityClient(conn).GetPluginInfo(ctx, &csi.GetPluginInfoRequest{})
		cancel()
		if err == nil && info.GetName() != "" {
			return info.GetName()
		}
		log.Printf("Still connecting to unix://%s: %v", *csiAddress, err)
		time.Sleep(time.Second)
	}
}

func main() {
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if *kubeletRegPath == "" {
		log.Fatal("kubelet-registration-path is a required parameter")
	}
	driver := driverName()
	log.Printf("CSI driver name: %q", driver)

	socketPath := filepath.Join(*pluginRegDir, fmt.Sprintf("%s-reg.sock", driver))
	if err := os.Remove(socketPath); err != nil && !os.IsNotExist(err) {
		log.Fatalf("failed to remove stale socket %s: %v", socketPath, err)
	}
	old := syscall.Umask(0077)
	lis, err := net.Listen("unix", socketPath)
	syscall.Umask(old)
	if err != nil {
		log.Fatalf("failed to listen on socket %s: %v", socketPath, err)
	}
	log.Printf("Registration Server started at: %s", socketPath)

	go func() {
		sigc := make(chan os.Signal, 1)
		signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT)
		<-sigc
		if err := os.Remove(socketPath); err != nil && !os.IsNotExist(err) {
			log.Fatalf("failed to remove socket %s: %v", socketPath, err)
		}
		os.Exit(0)
	}()

	server := grpc.NewServer()
	registerapi.RegisterRegistrationServer(server, &registrar{driver: driver})
	if err := server.Serve(lis); err != nil {
		log.Fatalf("Registration Server stopped serving: %v", err)
	}
}
