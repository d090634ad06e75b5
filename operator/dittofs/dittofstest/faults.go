package dittofstest

import (
	"bytes"
	"net/http"
)

// AllRoutes targets a fault at every request, unknown routes included. It
// is what the fault knobs use when given no route.
const AllRoutes = "*"

// MalformedBody is what MalformedBodies answers: JSON cut off midway.
const MalformedBody = `{"access_token": "x", "adapters": [{"type": "nfs", "port": `

// Fault is an answer the simulator gives instead of the real one.
type Fault struct {
	// Status is the status code; 0 means 500.
	Status int
	// ContentType and Body are the answer. A nil Body with a Status of 400
	// or more becomes a problem+json document, like a DittoFS handler error.
	ContentType string
	Body        []byte
	// Hang holds matching requests until the client gives up, or until
	// ClearFaults or Close releases them, after which they are answered
	// normally. The other fields are ignored.
	Hang bool
	// Times limits the fault to the next Times matching requests; 0 means
	// until ClearFaults.
	Times int
}

type faultState struct {
	Fault
	left int
}

// SetFault makes the given routes (Route* constants; none means AllRoutes)
// answer with f. A fault on a specific route wins over one on AllRoutes.
func (s *Server) SetFault(f Fault, routes ...string) {
	if len(routes) == 0 {
		routes = []string{AllRoutes}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, route := range routes {
		s.faults[route] = &faultState{Fault: f, left: f.Times}
	}
}

// FailWith makes the given routes answer status (typically a 5xx) with a
// problem+json body.
func (s *Server) FailWith(status int, routes ...string) {
	s.SetFault(Fault{Status: status}, routes...)
}

// Hang makes the given routes hold requests until the client gives up or
// ClearFaults releases them.
func (s *Server) Hang(routes ...string) {
	s.SetFault(Fault{Hang: true}, routes...)
}

// MalformedBodies makes the given routes answer 200 application/json with
// MalformedBody.
func (s *Server) MalformedBodies(routes ...string) {
	s.SetFault(Fault{Status: http.StatusOK, ContentType: "application/json", Body: []byte(MalformedBody)}, routes...)
}

// OversizedBodies makes the given routes answer 200 application/json with a
// valid JSON document (an empty array padded with spaces) of size bytes.
func (s *Server) OversizedBodies(size int, routes ...string) {
	body := append(append([]byte("["), bytes.Repeat([]byte(" "), max(size-2, 0))...), ']')
	s.SetFault(Fault{Status: http.StatusOK, ContentType: "application/json", Body: body}, routes...)
}

// ClearFaults removes every fault and releases hung requests.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
	s.releaseHungLocked()
}

func (s *Server) releaseHungLocked() {
	close(s.hangGate)
	s.hangGate = make(chan struct{})
}

// takeFault returns the fault for route, counting it against Times.
func (s *Server) takeFault(route string) (Fault, <-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := route
	fs := s.faults[key]
	if fs == nil {
		key = AllRoutes
		fs = s.faults[key]
	}
	if fs == nil {
		return Fault{}, nil, false
	}
	if fs.Times > 0 {
		if fs.left--; fs.left <= 0 {
			delete(s.faults, key)
		}
	}
	return fs.Fault, s.hangGate, true
}

// injectFault answers r with the fault for route, if any, and reports
// whether it did; a released hung request is left to the real handler.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, route string) bool {
	f, gate, ok := s.takeFault(route)
	if !ok {
		return false
	}
	if f.Hang {
		select {
		case <-r.Context().Done():
			return true
		case <-gate:
			return false
		}
	}
	writeFault(w, f)
	return true
}

func writeFault(w http.ResponseWriter, f Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if f.Body == nil && status >= 400 {
		writeProblem(w, status, "Simulated failure")
		return
	}
	contentType := f.ContentType
	if contentType == "" {
		contentType = "application/json"
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(f.Body)
}
