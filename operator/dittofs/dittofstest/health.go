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
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	now := s.now()
	uptime := now.Sub(s.started)
	writeJSON(w, http.StatusOK, healthResponse{Status: "healthy", Timestamp: now, Data: map[string]any{
		"control_plane_db": "reachable",
		"service":          "dittofs",
		"started_at":       s.started.Format(time.RFC3339),
		"uptime":           uptime.Round(time.Second).String(),
		"uptime_sec":       int64(uptime.Seconds()),
	}})
}

// handleReady answers like an initialised v0.29 server: 200, whether or not
// an adapter runs (it counts them). A real server answers 503 only before
// it is initialised, which a running simulator never is; a fault plays it.
func (s *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	running := []string{}
	for _, a := range s.adapters {
		if a.running() {
			running = append(running, a.typ)
		}
	}
	s.mu.Unlock()
	sort.Strings(running)
	writeJSON(w, http.StatusOK, healthResponse{Status: "healthy", Timestamp: s.now(), Data: map[string]any{
		"adapters": map[string]any{"running": len(running), "types": running},
		"grace_period": map[string]any{
			"active": false, "expected_clients": 0, "reclaimed_clients": 0, "remaining_seconds": 0,
		},
		"metadata_stores": 0,
		"shares":          0,
	}})
}
