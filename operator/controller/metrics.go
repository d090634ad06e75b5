package controller

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics in controller-runtime's registry, served on the manager's
// metrics endpoint beside the controller-runtime ones.
var (
	pollsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dittofs_operator_adapter_polls_total",
		Help: "Adapter listings by result: success, unauthorized, unavailable or error.",
	}, []string{"result"})

	pollDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dittofs_operator_adapter_poll_duration_seconds",
		Help:    "Time of one poll of a DittoFS API by the poller: the listing, token renewal included.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
	})

	lastPollSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dittofs_operator_adapter_last_success_timestamp_seconds",
		Help: "Unix time of the last successful adapter listing of each DittoServer.",
	}, []string{"namespace", "name"})

	policyEvalDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dittofs_operator_policy_evaluation_duration_seconds",
		Help:    "Time to evaluate the networking policy for one DittoServer.",
		Buckets: prometheus.ExponentialBuckets(0.00005, 2, 15),
	})

	policyDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dittofs_operator_policy_decisions_total",
		Help: "Networking decisions by result: applied, denied (policy deny rules), refused (guardrails) or error.",
	}, []string{"result"})

	managedObjects = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dittofs_operator_managed_objects",
		Help: "Adapter objects the operator manages for each DittoServer, by kind.",
	}, []string{"namespace", "name", "kind"})

	reconcileWork = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dittofs_operator_reconcile_work_duration_seconds",
		Help:    "Time of one DittoServer reconcile (reconciles never call the DittoFS API).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	})

	identityCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dittofs_operator_identity_operations_total",
		Help: "Operations on the operator's DittoFS account: provision, login or refresh.",
	}, []string{"operation"})
)

func init() {
	metrics.Registry.MustRegister(pollsTotal, pollDuration, lastPollSuccess, policyEvalDuration,
		policyDecisions, managedObjects, identityCalls, reconcileWork)
}

// forgetMetrics drops the series of a deleted DittoServer.
func forgetMetrics(namespace, name string) {
	lastPollSuccess.DeleteLabelValues(namespace, name)
	managedObjects.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "name": name})
}
