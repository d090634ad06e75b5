package dittofstest

import (
	"crypto/subtle"
	"sort"
	"time"
)

// Roles DittoFS knows.
const (
	RoleAdmin    = "admin"
	RoleOperator = "operator"
	RoleUser     = "user"
)

// AdminUsername is the seeded administrator, who cannot be deleted.
const AdminUsername = "admin"

type user struct {
	id                 string
	username           string
	displayName        string
	role               string
	uid                *uint32
	groups             []string
	password           string
	enabled            bool
	mustChangePassword bool
	createdAt          time.Time
	lastLogin          *time.Time
}

type adapter struct {
	id        string
	typ       string
	enabled   bool
	port      int32
	down      bool // enabled but not running, as after a failed bind
	config    map[string]any
	health    string
	message   string // the health verdict's explanation, if any
	createdAt time.Time
	updatedAt time.Time
	checkedAt time.Time
}

func (a *adapter) running() bool { return a.enabled && !a.down }

// UserState is a user as the simulator holds it, without the password.
type UserState struct {
	ID                 string
	Username           string
	Role               string
	Enabled            bool
	MustChangePassword bool
	CreatedAt          time.Time
	LastLogin          time.Time
}

// AdapterState is an adapter as the simulator holds it.
type AdapterState struct {
	ID      string
	Type    string
	Enabled bool
	Running bool
	Port    int32
}

func (s *Server) seedUsers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seedUsersLocked()
}

func (s *Server) seedUsersLocked() {
	uid := uint32(0)
	s.users = map[string]*user{AdminUsername: {
		id: randomID(), username: AdminUsername, displayName: "Administrator",
		role: RoleAdmin, uid: &uid, groups: []string{"admins"},
		password: s.opts.AdminPassword, enabled: true, createdAt: s.now(),
	}}
}

// defaultAdapterSeeds are the adapters of a fresh DittoFS v0.29 server.
var defaultAdapterSeeds = []AdapterSeed{
	{Type: "nfs", Enabled: true, Port: 12049},
	{Type: "smb", Enabled: true, Port: 1445},
}

func (s *Server) seedAdapters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	seeds := s.opts.Adapters
	if seeds == nil {
		seeds = defaultAdapterSeeds
	}
	s.adapters = nil
	for _, seed := range seeds {
		a := s.putAdapterLocked(seed.Type, seed.Enabled, seed.Port)
		a.config = seed.Config
		if seed.Health != "" {
			a.health, a.message = seed.Health, seed.HealthMessage
		}
	}
}

// putAdapterLocked creates or updates an adapter; s.mu must be held.
func (s *Server) putAdapterLocked(typ string, enabled bool, port int32) *adapter {
	now := s.now()
	a := s.adapterLocked(typ)
	if a == nil {
		a = &adapter{id: randomID(), typ: typ, health: "healthy", createdAt: now, checkedAt: now}
		s.adapters = append(s.adapters, a)
	}
	a.enabled, a.port, a.updatedAt = enabled, port, now
	return a
}

func (s *Server) adapterLocked(typ string) *adapter {
	for _, a := range s.adapters {
		if a.typ == typ {
			return a
		}
	}
	return nil
}

// SetAdapter creates or updates an adapter, as `dfsctl adapter enable`,
// `disable` or a port change would. Port 0 means the type's default.
func (s *Server) SetAdapter(adapterType string, enabled bool, port int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putAdapterLocked(adapterType, enabled, port)
}

// SetAdapterRunning makes an enabled adapter report running: false (and an
// unhealthy status), as when its listener failed to bind; true undoes it.
// It reports whether the adapter exists.
func (s *Server) SetAdapterRunning(adapterType string, running bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.adapterLocked(adapterType)
	if a == nil {
		return false
	}
	a.down = !running
	a.health, a.message = "healthy", ""
	if !running {
		a.health = "unhealthy"
	}
	a.checkedAt = s.now()
	return true
}

// RemoveAdapter deletes an adapter and reports whether it existed.
func (s *Server) RemoveAdapter(adapterType string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, a := range s.adapters {
		if a.typ == adapterType {
			s.adapters = append(s.adapters[:i], s.adapters[i+1:]...)
			return true
		}
	}
	return false
}

// Adapters returns the adapters in the order the API lists them.
func (s *Server) Adapters() []AdapterState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AdapterState, 0, len(s.adapters))
	for _, a := range s.adapters {
		out = append(out, AdapterState{ID: a.id, Type: a.typ, Enabled: a.enabled, Running: a.running(), Port: a.port})
	}
	return out
}

// Users returns every user, sorted by username.
func (s *Server) Users() []UserState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]UserState, 0, len(s.users))
	for _, u := range s.users {
		st := UserState{
			ID: u.id, Username: u.username, Role: u.role, Enabled: u.enabled,
			MustChangePassword: u.mustChangePassword, CreatedAt: u.createdAt,
		}
		if u.lastLogin != nil {
			st.LastLogin = *u.lastLogin
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out
}

// CheckPassword reports whether the user exists and has this password.
func (s *Server) CheckPassword(username, password string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[username]
	return u != nil && subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) == 1
}

// ResetUsers wipes the user database, as a DittoFS that lost its store:
// only "admin" remains, re-seeded with the initial password. Issued tokens
// stay valid until they expire (use RotateSigningKey to void them).
func (s *Server) ResetUsers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seedUsersLocked()
}

// RotateSigningKey voids every token issued so far, as a restarted server
// with a new JWT secret would.
func (s *Server) RotateSigningKey() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signKey = randomKey()
}
