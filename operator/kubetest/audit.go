package kubetest

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
	r, err := cp.AuditReader(user)
	if err != nil {
		return nil, err
	}
	return r.Between(since, time.Time{})
}

// AuditReader reads the audit log incrementally and keeps the writes of one
// user (every user when empty): a long run's log holds tens of thousands of
// writes, and reading it again from the start each time would cost more
// than what is measured.
func (cp *ControlPlane) AuditReader(user string) (*AuditReader, error) {
	if cp.auditPath == "" {
		return nil, errors.New("the control plane was started without Options.Audit")
	}
	return &AuditReader{path: cp.auditPath, user: user}, nil
}

// AuditReader is an incremental reader of the audit log; see
// ControlPlane.AuditReader. It is safe for concurrent use.
type AuditReader struct {
	path string
	user string

	mu     sync.Mutex
	offset int64
	events []AuditEvent
}

// refresh reads the lines appended since the last call.
func (a *AuditReader) refresh() error {
	f, err := os.Open(a.path)
	if err != nil {
		return fmt.Errorf("opening the audit log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(a.offset, io.SeekStart); err != nil {
		return fmt.Errorf("reading the audit log: %w", err)
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
		if a.user == "" || raw.User.Username == a.user {
			a.events = append(a.events, raw.event())
		}
	}
}

func (raw *rawAuditEvent) event() AuditEvent {
	return AuditEvent{
		Verb:        raw.Verb,
		User:        raw.User.Username,
		Resource:    raw.ObjectRef.Resource,
		Namespace:   raw.ObjectRef.Namespace,
		Name:        raw.ObjectRef.Name,
		Subresource: raw.ObjectRef.Subresource,
		Code:        raw.ResponseStatus.Code,
		Time:        raw.RequestReceivedTimestamp,
	}
}

// Between lists the writes received in [from, to); a zero to means no end.
func (a *AuditReader) Between(from, to time.Time) ([]AuditEvent, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.refresh(); err != nil {
		return nil, err
	}
	var out []AuditEvent
	for _, e := range a.events {
		if !e.Time.Before(from) && (to.IsZero() || e.Time.Before(to)) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Last is the time of the latest write; zero when none.
func (a *AuditReader) Last() (time.Time, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.refresh(); err != nil {
		return time.Time{}, err
	}
	if len(a.events) == 0 {
		return time.Time{}, nil
	}
	return a.events[len(a.events)-1].Time, nil
}
