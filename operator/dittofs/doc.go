// Package dittofs is a client for the DittoFS control-plane REST API.
//
// It covers the calls the operator makes: login and token refresh, creating
// the operator's own least-privilege user, resetting its password and
// deleting it, listing protocol adapters, and the health probes. The
// behaviour it relies on is pinned by testdata/dittofs-api-v0.29.json, a
// recording of a real DittoFS v0.29.0 server.
//
// Every failure the server reports becomes an *APIError, whichever of the two
// body formats DittoFS used (application/problem+json from handlers,
// text/plain from its authorization middleware). The predicates
// IsUnauthorized, IsForbidden, IsConflict, IsNotFound and IsTransient
// classify any error a Client returns, transport failures included.
//
// The client never logs, and passwords and tokens never appear in the text of
// an error it returns: values the caller sent are redacted from anything the
// server echoes back, and decoding errors do not quote response bodies.
package dittofs
