package dittofstest

import "time"

// AnyRole makes Count match every caller, anonymous ones included.
const AnyRole = "*"

// RequestRecord is one request the simulator received.
type RequestRecord struct {
	// Time is when the request arrived.
	Time time.Time
	// Method and Path are as received.
	Method string
	Path   string
	// Route is the matched Route* constant, "" for an unknown route.
	Route string
	// Username and Role identify the caller by its valid bearer token, or,
	// for a successful login or refresh, the user it authenticated as. Both
	// are "" for anonymous requests and rejected tokens.
	Username string
	Role     string
	// Status is the status answered; 0 if none was (the client gave up on a
	// hung request).
	Status int
}

// Requests returns every request received so far, oldest first.
func (s *Server) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RequestRecord(nil), s.records...)
}

// Count returns how many requests matched route (a Route* constant, "" for
// unknown routes) made with role ("" for anonymous, AnyRole for all).
func (s *Server) Count(route, role string) int {
	return s.CountSince(time.Time{}, route, role)
}

// CountSince is Count restricted to requests that arrived at or after t.
func (s *Server) CountSince(t time.Time, route, role string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.records {
		if !r.Time.Before(t) && r.Route == route && (role == AnyRole || r.Role == role) {
			n++
		}
	}
	return n
}

// ResetRequests forgets the requests recorded so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = nil
}
