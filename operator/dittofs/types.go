package dittofs

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// Roles a DittoFS user can have.
const (
	// RoleAdmin may do everything, including user and adapter management.
	RoleAdmin = "admin"
	// RoleOperator may read adapters but change nothing; the operator logs in
	// with a user of this role.
	RoleOperator = "operator"
	// RoleUser is a plain file-share user with no control-plane rights.
	RoleUser = "user"
)

// Adapter types whose default port is known.
const (
	// AdapterNFS is the NFS protocol adapter.
	AdapterNFS = "nfs"
	// AdapterSMB is the SMB protocol adapter.
	AdapterSMB = "smb"
)

// Password length bounds DittoFS enforces. Outside them the server answers
// 500 "Failed to hash password", so the client checks them first.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 72
)

// defaultPorts are the ports DittoFS listens on when an adapter's configured
// port is 0.
var defaultPorts = map[string]int32{
	AdapterNFS: 12049,
	AdapterSMB: 12445,
}

// DefaultPort returns the port DittoFS uses for an adapter of the given type
// whose configured port is 0, and whether the type is known.
func DefaultPort(adapterType string) (int32, bool) {
	p, ok := defaultPorts[adapterType]
	return p, ok
}

// User is a DittoFS user as the API describes it. It never holds a password.
type User struct {
	ID                 string
	Username           string
	DisplayName        string
	Email              string
	Role               string
	UID                *uint32
	Groups             []string
	Enabled            bool
	MustChangePassword bool
	CreatedAt          time.Time
	// LastLogin is zero when the user has never logged in.
	LastLogin time.Time
}

// NewUser is what CreateUser sends.
type NewUser struct {
	Username string
	Password string
	// Role is one of RoleAdmin, RoleOperator, RoleUser; DittoFS treats an
	// empty role as RoleUser.
	Role string
}

// Adapter is one protocol adapter of GET /api/v1/adapters.
type Adapter struct {
	ID   string
	Type string
	// Port is the port the adapter listens on. A configured port of 0 is
	// replaced by the type's default (see DefaultPort) and PortDefaulted is
	// set; for an unknown type it stays 0.
	Port          int32
	PortDefaulted bool
	Enabled       bool
	// Running can be false while Enabled is true, e.g. when the listener
	// failed to bind.
	Running bool
	// Status is the adapter's last health verdict ("healthy", ...), empty
	// when the server reported none.
	Status string
}

// Readiness is the answer of GET /health/ready when the server is ready.
type Readiness struct {
	Status          string
	Timestamp       time.Time
	RunningAdapters int
	AdapterTypes    []string
}

// Tokens is a token pair from login or refresh.
//
// Printing a Tokens with any fmt verb, logging it with log/slog, or encoding
// it as JSON shows everything but the two tokens; read the fields to use or
// store them.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	// ExpiresIn is the access token's lifetime as the server stated it.
	ExpiresIn time.Duration
	// ExpiresAt is when the access token expires by the local clock: the
	// time the request was sent plus ExpiresIn. Using the local clock keeps
	// refresh scheduling right even when the server's clock is skewed.
	ExpiresAt time.Time
	// ServerExpiresAt is the server's own expires_at, zero if it sent none.
	ServerExpiresAt time.Time
	User            User
}

const redacted = "[REDACTED]"

// String describes the token pair without its secrets.
func (t Tokens) String() string {
	return fmt.Sprintf("{TokenType:%s ExpiresIn:%s ExpiresAt:%s User:%s Role:%s AccessToken:%s RefreshToken:%s}",
		t.TokenType, t.ExpiresIn, t.ExpiresAt.Format(time.RFC3339), t.User.Username, t.User.Role,
		mask(t.AccessToken), mask(t.RefreshToken))
}

// GoString is String, so %#v does not reveal the tokens either.
func (t Tokens) GoString() string { return "dittofs.Tokens" + t.String() }

// Format makes every verb (%v, %+v, %#v, %s, %q, ...) print the redacted form.
func (t Tokens) Format(f fmt.State, verb rune) {
	s := t.String()
	switch verb {
	case 'v':
		if f.Flag('#') {
			s = t.GoString()
		}
	case 'q':
		s = fmt.Sprintf("%q", s)
	}
	_, _ = f.Write([]byte(s))
}

// LogValue keeps the tokens out of log/slog output.
func (t Tokens) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("tokenType", t.TokenType),
		slog.Duration("expiresIn", t.ExpiresIn),
		slog.Time("expiresAt", t.ExpiresAt),
		slog.String("user", t.User.Username),
		slog.String("accessToken", mask(t.AccessToken)),
		slog.String("refreshToken", mask(t.RefreshToken)),
	)
}

// MarshalJSON keeps the tokens out of structured logs that encode values as
// JSON. Persist AccessToken and RefreshToken explicitly instead.
func (t Tokens) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		TokenType    string    `json:"token_type"`
		ExpiresIn    int64     `json:"expires_in"`
		ExpiresAt    time.Time `json:"expires_at"`
		User         string    `json:"user"`
		AccessToken  string    `json:"access_token"`
		RefreshToken string    `json:"refresh_token"`
	}{t.TokenType, int64(t.ExpiresIn / time.Second), t.ExpiresAt, t.User.Username, mask(t.AccessToken), mask(t.RefreshToken)})
}

func mask(secret string) string {
	if secret == "" {
		return ""
	}
	return redacted
}
