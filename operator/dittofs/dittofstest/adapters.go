package dittofstest

import (
	"fmt"
	"net/http"
	"time"
)

// defaultPorts are the ports an adapter with port 0 actually binds, used to
// detect port clashes between adapters.
var defaultPorts = map[string]int32{"nfs": 12049, "smb": 12445}

type adapterStatus struct {
	Status    string    `json:"status"`
	Message   string    `json:"message,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

type adapterResponse struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Enabled   bool           `json:"enabled"`
	Running   bool           `json:"running"`
	Port      int32          `json:"port"`
	Config    map[string]any `json:"config,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	Status    adapterStatus  `json:"status"`
}

type adapterPortResponse struct {
	Type    string `json:"type"`
	Port    int32  `json:"port"`
	Enabled bool   `json:"enabled"`
	Running bool   `json:"running"`
}

func (a *adapter) response() adapterResponse {
	return adapterResponse{
		ID: a.id, Type: a.typ, Enabled: a.enabled, Running: a.running(), Port: a.port, Config: a.config,
		CreatedAt: a.createdAt, UpdatedAt: a.updatedAt,
		Status: adapterStatus{Status: a.health, Message: a.message, CheckedAt: a.checkedAt},
	}
}

func (a *adapter) boundPort() int32 {
	if a.port == 0 {
		return defaultPorts[a.typ]
	}
	return a.port
}

func (s *Server) handleListAdapters(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := make([]adapterResponse, 0, len(s.adapters))
	for _, a := range s.adapters {
		out = append(out, a.response())
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleAdapterPorts(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := make([]adapterPortResponse, 0, len(s.adapters))
	for _, a := range s.adapters {
		out = append(out, adapterPortResponse{Type: a.typ, Port: a.port, Enabled: a.enabled, Running: a.running()})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetAdapter(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a := s.adapterLocked(r.PathValue("type"))
	var resp adapterResponse
	if a != nil {
		resp = a.response()
	}
	s.mu.Unlock()
	if a == nil {
		writeProblem(w, http.StatusNotFound, "Adapter not found")
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleUpdateAdapter is PUT /api/v1/adapters/{type}: what `dfsctl adapter
// enable|disable` and port changes call.
func (s *Server) handleUpdateAdapter(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Enabled *bool  `json:"enabled"`
		Port    *int64 `json:"port"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.adapterLocked(r.PathValue("type"))
	if a == nil {
		writeProblem(w, http.StatusNotFound, "Adapter not found")
		return
	}
	enabled, port := a.enabled, a.port
	if req.Enabled != nil {
		enabled = *req.Enabled
	}
	if req.Port != nil {
		if *req.Port < 0 || *req.Port > 65535 {
			writeProblem(w, http.StatusBadRequest, "invalid port: must be between 0 and 65535")
			return
		}
		port = int32(*req.Port)
	}
	if clash := s.portClashLocked(a, enabled, port); clash != 0 {
		writeProblem(w, http.StatusInternalServerError,
			fmt.Sprintf("Failed to update adapter: listen tcp :%d: bind: address already in use", clash))
		return
	}
	a.enabled, a.port, a.updatedAt = enabled, port, s.now()
	writeJSON(w, http.StatusOK, a.response())
}

// portClashLocked returns the port a would share with another running
// adapter if it were enabled on port, or 0.
func (s *Server) portClashLocked(a *adapter, enabled bool, port int32) int32 {
	if !enabled {
		return 0
	}
	want := (&adapter{typ: a.typ, port: port}).boundPort()
	for _, other := range s.adapters {
		if other != a && other.running() && other.boundPort() == want {
			return want
		}
	}
	return 0
}

// handleAdapterSettings answers a representative settings document; its
// content is not part of what the operator reads.
func (s *Server) handleAdapterSettings(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	found := s.adapterLocked(r.PathValue("type")) != nil
	s.mu.Unlock()
	if !found {
		writeProblem(w, http.StatusNotFound, "Adapter not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"adapter_type": r.PathValue("type"),
		"version":      1,
		"settings":     map[string]any{"max_connections": 0, "read_timeout": "5m0s", "write_timeout": "5m0s"},
	})
}
