package kubetest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// auditPolicy records the metadata of every write once it completes, and
// nothing else: reads would swamp the log.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Metadata
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: None
`

// AuditEvent is one write the API server recorded.
type AuditEvent struct {
	Verb        string
	User        string
	Resource    string
	Namespace   string
	Name        string
	Subresource string
	Code        int32
	Time        time.Time
}

// String describes the write for test failure messages.
func (e AuditEvent) String() string {
	res := e.Resource
	if e.Subresource != "" {
		res += "/" + e.Subresource
	}
	return fmt.Sprintf("%s %s %s/%s by %s (%d)", e.Verb, res, e.Namespace, e.Name, e.User, e.Code)
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

func (cp *ControlPlane) configureAudit() error {
	policyPath := filepath.Join(cp.dir, "audit-policy.yaml")
	if err := os.WriteFile(policyPath, []byte(auditPolicy), 0o600); err != nil {
		return fmt.Errorf("writing the audit policy: %w", err)
	}
	cp.auditPath = filepath.Join(cp.dir, "audit.log")
	args := cp.Env.ControlPlane.GetAPIServer().Configure()
	args.Set("audit-policy-file", policyPath)
	args.Set("audit-log-path", cp.auditPath)
	args.Set("audit-log-mode", "blocking")
	args.Set("audit-log-format", "json")
	return nil
}

// Writes lists the successful and failed writes made by user (any user when
// empty) at or after since, in the order the API server received them.
func (cp *ControlPlane) Writes(user string, since time.Time) ([]AuditEvent, error) {
	if cp.auditPath == "" {
		return nil, errors.New("the control plane was started without Options.Audit")
	}
	f, err := os.Open(cp.auditPath)
	if err != nil {
		return nil, fmt.Errorf("opening the audit log: %w", err)
	}
	defer f.Close()
	var events []AuditEvent
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for scanner.Scan() {
		var raw rawAuditEvent
		if err := json.Unmarshal(scanner.Bytes(), &raw); err != nil {
			return nil, fmt.Errorf("decoding the audit log: %w", err)
		}
		if (user != "" && raw.User.Username != user) || raw.RequestReceivedTimestamp.Before(since) {
			continue
		}
		events = append(events, AuditEvent{
			Verb:        raw.Verb,
			User:        raw.User.Username,
			Resource:    raw.ObjectRef.Resource,
			Namespace:   raw.ObjectRef.Namespace,
			Name:        raw.ObjectRef.Name,
			Subresource: raw.ObjectRef.Subresource,
			Code:        raw.ResponseStatus.Code,
			Time:        raw.RequestReceivedTimestamp,
		})
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	return events, nil
}
