package dittofstest

import "net/http"

// Routes the simulator serves, as "METHOD /pattern". They are the values of
// RequestRecord.Route and what fault knobs take to target routes.
const (
	RouteHealth          = "GET /health"
	RouteReady           = "GET /health/ready"
	RouteLogin           = "POST /api/v1/auth/login"
	RouteRefresh         = "POST /api/v1/auth/refresh"
	RouteMe              = "GET /api/v1/auth/me"
	RouteCreateUser      = "POST /api/v1/users"
	RouteDeleteUser      = "DELETE /api/v1/users/{username}"
	RouteResetPassword   = "POST /api/v1/users/{username}/password"
	RouteListAdapters    = "GET /api/v1/adapters"
	RouteAdapterPorts    = "GET /api/v1/adapters/ports"
	RouteGetAdapter      = "GET /api/v1/adapters/{type}"
	RouteUpdateAdapter   = "PUT /api/v1/adapters/{type}"
	RouteAdapterSettings = "GET /api/v1/adapters/{type}/settings"
)

// newMux registers every route. Authorization is checked inside each
// handler, in the real server's order: token, password-change gate, role,
// then the request body.
func (s *Server) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc(RouteHealth, s.handleHealth)
	mux.HandleFunc(RouteReady, s.handleReady)
	mux.HandleFunc(RouteLogin, s.handleLogin)
	mux.HandleFunc(RouteRefresh, s.handleRefresh)
	mux.HandleFunc(RouteMe, s.authorized(meAccess, s.handleMe))
	mux.HandleFunc(RouteCreateUser, s.authorized(adminOnly, s.handleCreateUser))
	mux.HandleFunc(RouteDeleteUser, s.authorized(adminOnly, s.handleDeleteUser))
	mux.HandleFunc(RouteResetPassword, s.authorized(adminOnly, s.handleResetPassword))
	mux.HandleFunc(RouteListAdapters, s.authorized(adminOrOperator, s.handleListAdapters))
	mux.HandleFunc(RouteAdapterPorts, s.authorized(anyRole, s.handleAdapterPorts))
	mux.HandleFunc(RouteGetAdapter, s.authorized(adminOnly, s.handleGetAdapter))
	mux.HandleFunc(RouteUpdateAdapter, s.authorized(adminOnly, s.handleUpdateAdapter))
	mux.HandleFunc(RouteAdapterSettings, s.authorized(adminOnly, s.handleAdapterSettings))
	return mux
}
