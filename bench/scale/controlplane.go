package scale

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

// auditPolicy records the metadata of every write once it completes, and
// nothing else: at a thousand servers, reads would swamp the log.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Metadata
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: None
`

// controlPlane is kube-apiserver and etcd, sized for a thousand DittoServers.
//
// It is started here rather than with kubetest.Start because kubetest takes
// no API server flags, and envtest's default Service range (10.0.0.0/24)
// holds 254 cluster IPs: every DittoServer needs three (its API Service and
// two LoadBalancer adapter Services), so the default stops at about 84
// servers. The audit log follows kubetest's policy.
type controlPlane struct {
	env       *envtest.Environment
	config    *rest.Config
	dir       string
	auditPath string
}

// apiServerFlags are the flags the scale run changes from envtest's defaults.
//
// The request-inflight limits are left alone on purpose: the operator and
// the bench act as members of system:masters, which API Priority and
// Fairness exempts from queuing, so those limits never throttle them.
var apiServerFlags = map[string]string{
	// 65,534 cluster IPs instead of 254.
	"service-cluster-ip-range": "10.96.0.0/16",
	// Each LoadBalancer Service takes a node port; the default range holds
	// 2,768, the two adapters of 1,384 servers.
	"service-node-port-range": "30000-39999",
}

func startControlPlane() (*controlPlane, error) {
	assets, err := kubetest.AssetsDir()
	if err != nil {
		return nil, err
	}
	root, err := kubetest.RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dittofs-bench-")
	if err != nil {
		return nil, fmt.Errorf("creating the control plane's folder: %w", err)
	}
	cp := &controlPlane{dir: dir, auditPath: filepath.Join(dir, "audit.log")}
	cp.env = &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        []string{filepath.Join(root, "operator", "config", "crd")},
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	policyPath := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policyPath, []byte(auditPolicy), 0o600); err != nil {
		return nil, errors.Join(fmt.Errorf("writing the audit policy: %w", err), os.RemoveAll(dir))
	}
	args := cp.env.ControlPlane.GetAPIServer().Configure()
	args.Set("audit-policy-file", policyPath)
	args.Set("audit-log-path", cp.auditPath)
	// Blocking: a write is in the log before its response is sent, so a
	// window closed after the fact has every write made inside it.
	args.Set("audit-log-mode", "blocking")
	args.Set("audit-log-format", "json")
	for k, v := range apiServerFlags {
		args.Set(k, v)
	}
	cfg, err := cp.env.Start()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("starting kube-apiserver and etcd: %w", err), os.RemoveAll(dir))
	}
	cp.config = cfg
	return cp, nil
}

// kubeconfigFile writes the kubeconfig of a user in groups and returns its
// path. A user of its own lets the audit log tell its writes apart.
func (cp *controlPlane) kubeconfigFile(name string, groups ...string) (string, error) {
	user, err := cp.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return "", fmt.Errorf("provisioning user %q: %w", name, err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("rendering the kubeconfig of %q: %w", name, err)
	}
	path := filepath.Join(cp.dir, name+".kubeconfig")
	return path, os.WriteFile(path, data, 0o600)
}

// userConfig is a client configuration acting as a user in groups.
func (cp *controlPlane) userConfig(name string, groups ...string) (*rest.Config, error) {
	user, err := cp.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return nil, fmt.Errorf("provisioning user %q: %w", name, err)
	}
	return user.Config(), nil
}

func (cp *controlPlane) stop() error {
	err := cp.env.Stop()
	return errors.Join(err, os.RemoveAll(cp.dir))
}

// auditLog reads the audit log incrementally and keeps the writes of one
// user: the log of a thousand-server run holds tens of thousands of writes,
// and waiting for quiet reads it every second.
type auditLog struct {
	path string
	user string

	mu     sync.Mutex
	offset int64
	events []kubetest.AuditEvent
}

type rawAuditEvent struct {
	Verb string `json:"verb"`
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	ResponseStatus struct {
		Code int32 `json:"code"`
	} `json:"responseStatus"`
	RequestReceivedTimestamp time.Time `json:"requestReceivedTimestamp"`
}

// refresh reads the lines appended since the last call.
func (a *auditLog) refresh() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.Open(a.path)
	if err != nil {
		return fmt.Errorf("opening the audit log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(a.offset, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil // a partial last line is read again next time
		}
		if err != nil {
			return fmt.Errorf("reading the audit log: %w", err)
		}
		a.offset += int64(len(line))
		var raw rawAuditEvent
		if err := json.Unmarshal(line, &raw); err != nil {
			return fmt.Errorf("decoding the audit log: %w", err)
		}
		if raw.User.Username != a.user {
			continue
		}
		a.events = append(a.events, kubetest.AuditEvent{
			Verb: raw.Verb, User: raw.User.Username,
			Resource: raw.ObjectRef.Resource, Namespace: raw.ObjectRef.Namespace, Name: raw.ObjectRef.Name,
			Subresource: raw.ObjectRef.Subresource, Code: raw.ResponseStatus.Code, Time: raw.RequestReceivedTimestamp,
		})
	}
}

// between lists the user's writes received in [from, to).
func (a *auditLog) between(from, to time.Time) ([]kubetest.AuditEvent, error) {
	if err := a.refresh(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []kubetest.AuditEvent
	for _, e := range a.events {
		if !e.Time.Before(from) && e.Time.Before(to) {
			out = append(out, e)
		}
	}
	return out, nil
}

// last is the time of the user's latest write; zero when none.
func (a *auditLog) last() (time.Time, error) {
	if err := a.refresh(); err != nil {
		return time.Time{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.events) == 0 {
		return time.Time{}, nil
	}
	return a.events[len(a.events)-1].Time, nil
}
