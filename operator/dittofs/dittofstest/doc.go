// Package dittofstest is an in-process simulator of the DittoFS
// control-plane API, for tests and demos of the operator.
//
// It answers the routes the operator uses with the status codes, content
// types and bodies of a real DittoFS v0.29.0 server (see the recordings in
// ../testdata, both of which its conformance test replays): readiness 200
// with no adapter running, port 0 listed as 0, a per-adapter status object,
// authorization failures as text/plain, handler errors as
// application/problem+json, unknown routes as "404 page not found", 204s
// without a body. Tokens are HMAC-signed JWTs with configurable lifetimes and
// the same semantics as the real server: they stay valid until they expire,
// even after their user is deleted, and expire on the clock Options.Now
// gives, so tests of token lifetimes need not sleep.
//
// Tests change the simulated server the way dfsctl would (SetAdapter,
// RemoveAdapter, or the admin HTTP API), inject faults (RefuseConnections,
// Hang, FailWith, MalformedBodies, OversizedBodies, SetFault), and assert
// what was called and as whom (Requests, Count). Every method is safe for
// concurrent use while requests are being served.
package dittofstest
