package dittofstest

import (
	"encoding/json"
	"errors"
	"net/http"
)

// maxRequestBodyBytes is the real server's request body limit.
const maxRequestBodyBytes = 1 << 20

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// writeProblem answers like a DittoFS handler error: RFC 7807 JSON.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail,
	})
}

// writeJSON answers like a DittoFS handler success; the encoder's trailing
// newline is part of the real answers too.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeBody reads a JSON request body as the real server does: 413 beyond
// 1 MiB, 400 "Invalid request body" for anything that does not decode.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBodyBytes)
	err := json.NewDecoder(r.Body).Decode(v)
	if err == nil {
		return true
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeProblem(w, http.StatusRequestEntityTooLarge, "request body exceeds the 1 MiB limit")
		return false
	}
	writeProblem(w, http.StatusBadRequest, "Invalid request body")
	return false
}
