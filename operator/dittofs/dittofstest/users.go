package dittofstest

import (
	"net/http"
	"time"
)

// Password bounds of the real server's hashing; outside them it answers
// 500 "Failed to hash password".
const (
	minPasswordLength = 8
	maxPasswordLength = 72
)

type userResponse struct {
	ID                 string     `json:"id"`
	Username           string     `json:"username"`
	DisplayName        string     `json:"display_name,omitempty"`
	Role               string     `json:"role"`
	UID                *uint32    `json:"uid,omitempty"`
	Groups             []string   `json:"groups,omitempty"`
	Enabled            bool       `json:"enabled"`
	MustChangePassword bool       `json:"must_change_password"`
	CreatedAt          time.Time  `json:"created_at"`
	LastLogin          *time.Time `json:"last_login,omitempty"`
}

func (u *user) response() userResponse {
	return userResponse{
		ID: u.id, Username: u.username, DisplayName: u.displayName, Role: u.role,
		UID: u.uid, Groups: u.groups, Enabled: u.enabled,
		MustChangePassword: u.mustChangePassword, CreatedAt: u.createdAt, LastLogin: u.lastLogin,
	}
}

func validPassword(p string) bool {
	return len(p) >= minPasswordLength && len(p) <= maxPasswordLength
}

func validRole(role string) bool {
	return role == RoleAdmin || role == RoleOperator || role == RoleUser
}

// handleCreateUser checks in the real server's order: required fields,
// password hashing (500), role (400), duplicate (409). Like v0.29, it
// ignores "enabled" in the request: users are created enabled.
func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username    string `json:"username"`
		Password    string `json:"password"`
		DisplayName string `json:"display_name"`
		Role        string `json:"role"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	switch {
	case req.Username == "":
		writeProblem(w, http.StatusBadRequest, "Username is required")
		return
	case req.Password == "":
		writeProblem(w, http.StatusBadRequest, "Password is required")
		return
	case !validPassword(req.Password):
		writeProblem(w, http.StatusInternalServerError, "Failed to hash password")
		return
	}
	if req.Role == "" {
		req.Role = RoleUser
	}
	if !validRole(req.Role) {
		writeProblem(w, http.StatusBadRequest, "Invalid role. Must be 'user', 'admin', or 'operator'")
		return
	}
	u := &user{
		id: randomID(), username: req.Username, displayName: req.DisplayName, role: req.Role,
		password: req.Password, enabled: true, mustChangePassword: req.Role == RoleAdmin,
		createdAt: s.now(),
	}
	s.mu.Lock()
	exists := s.users[u.username] != nil
	if !exists {
		s.users[u.username] = u
	}
	s.mu.Unlock()
	if exists {
		writeProblem(w, http.StatusConflict, "User already exists")
		return
	}
	writeJSON(w, http.StatusCreated, u.response())
}

func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		NewPassword string `json:"new_password"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.NewPassword == "" {
		writeProblem(w, http.StatusBadRequest, "New password is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[r.PathValue("username")]
	switch {
	case u == nil:
		writeProblem(w, http.StatusNotFound, "User not found")
	case !validPassword(req.NewPassword):
		writeProblem(w, http.StatusInternalServerError, "Failed to hash password")
	default:
		// Only admins must change a password an admin reset.
		u.password, u.mustChangePassword = req.NewPassword, u.role == RoleAdmin
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) handleDeleteUser(w http.ResponseWriter, r *http.Request) {
	username := r.PathValue("username")
	if username == AdminUsername {
		writeProblem(w, http.StatusForbidden, "Cannot delete admin user")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[username] == nil {
		writeProblem(w, http.StatusNotFound, "User not found")
		return
	}
	delete(s.users, username)
	w.WriteHeader(http.StatusNoContent)
}
