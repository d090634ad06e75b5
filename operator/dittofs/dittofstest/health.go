package dittofstest

import (
	"net/http"
	"sort"
	"time"
)

// healthResponse is the envelope of the real /health endpoints.
type healthResponse struct {
	Status    string    `json:"status"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data,omitempty"`
	Error     string    `json:"error,omitempty"`
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	now := s.now()
	uptime := now.Sub(s.started)
	writeJSON(w, http.StatusOK, healthResponse{Status: "healthy", Timestamp: now, Data: map[string]any{
		"service":    "dittofs",
		"started_at": s.started.Format(time.RFC3339),
		"uptime":     uptime.Round(time.Second).String(),
		"uptime_sec": int64(uptime.Seconds()),
	}})
}

// handleReady is ready while at least one adapter runs, as in v0.29.
func (s *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	var running []string
	for _, a := range s.adapters {
		if a.running() {
			running = append(running, a.typ)
		}
	}
	s.mu.Unlock()
	sort.Strings(running)
	now := s.now()
	if len(running) == 0 {
		writeJSON(w, http.StatusServiceUnavailable, healthResponse{Status: "unhealthy", Timestamp: now, Error: "no adapters running"})
		return
	}
	writeJSON(w, http.StatusOK, healthResponse{Status: "healthy", Timestamp: now, Data: map[string]any{
		"adapters": map[string]any{"running": len(running), "types": running},
		"grace_period": map[string]any{
			"active": false, "expected_clients": 0, "reclaimed_clients": 0, "remaining_seconds": 0,
		},
		"metadata_stores": 0,
		"shares":          0,
	}})
}
