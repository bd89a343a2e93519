package redistest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"time"

	"github.com/sessionseal/session/internal/redisproc"
)

// clusterNode is the configuration that makes a server a cluster node,
// with its cluster state in its own directory.
var clusterNode = []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"}

// createCluster makes the servers one cluster with the slots split among
// them, and waits until every node reports it ready.
func createCluster(ctx context.Context, servers []*redisproc.Server) error {
	args := []string{"--cluster", "create"}
	for _, s := range servers {
		args = append(args, s.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, s := range servers {
		host, port, _ := net.SplitHostPort(s.Addr()) // redisproc's addresses are host:port
		for {
			info, err := exec.CommandContext(ctx, "redis-cli", "-h", host, "-p", port, "cluster", "info").Output()
			if err == nil && bytes.Contains(info, []byte("cluster_state:ok")) && bytes.Contains(info, []byte("cluster_slots_ok:16384")) &&
				bytes.Contains(info, []byte("cluster_known_nodes:"+strconv.Itoa(len(servers)))) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("cluster node %s not ready: %v\n%s", s.Addr(), ctx.Err(), info)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}
