package policycli

import (
	"context"
	"flag"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/networking"
)

// The chart's defaults for the operator, installed as in the README
// (`helm install dittofs-operator ... -n dittofs-system`): what --server
// assumes of the operator unless told otherwise.
const (
	chartNamespace = "dittofs-system"
	chartPodLabels = "app.kubernetes.io/name=dittofs-operator,app.kubernetes.io/instance=dittofs-operator"
)

// serverFlags select a live DittoServer and describe the operator that
// evaluates it, whose namespace and pod labels are part of the input.
type serverFlags struct {
	name              string
	namespace         string
	kubeconfig        string
	context           string
	operatorNamespace string
	operatorPodLabels string
}

func (s *serverFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.name, "server", "", "evaluate the live DittoServer NAME (current kubeconfig): its spec, namespace labels and the adapters the operator last recorded")
	fs.StringVar(&s.namespace, "namespace", "", "namespace of --server (default: the kubeconfig context's)")
	fs.StringVar(&s.namespace, "n", "", "shorthand for --namespace")
	fs.StringVar(&s.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&s.context, "context", "", "kubeconfig context (default: the current one)")
	fs.StringVar(&s.operatorNamespace, "operator-namespace", chartNamespace, "namespace the operator runs in (its --operator-namespace)")
	fs.StringVar(&s.operatorPodLabels, "operator-pod-labels", chartPodLabels, "labels of the operator's pods, k=v,... (its --operator-pod-labels)")
}

// liveServer is a DittoServer as the operator sees it, and the input it
// gives the policy.
type liveServer struct {
	server *dittov1.DittoServer
	input  networking.Input
}

// readServer builds the input of a live DittoServer with the operator's own
// code: networking.BuildInput over the object, its namespace's labels and
// the adapters of its status, which the operator writes from the listing it
// evaluated.
func (s *serverFlags) readServer(ctx context.Context) (*liveServer, error) {
	podLabels, err := labels.ConvertSelectorToLabelsMap(s.operatorPodLabels)
	if err != nil {
		return nil, fmt.Errorf("--operator-pod-labels: %w", err)
	}
	c, namespace, err := s.client()
	if err != nil {
		return nil, err
	}
	server := &dittov1.DittoServer{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: s.name}, server); err != nil {
		return nil, fmt.Errorf("reading DittoServer %s/%s: %w", namespace, s.name, err)
	}
	ns := &corev1.Namespace{}
	if err := c.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
		return nil, fmt.Errorf("reading namespace %s, whose labels are part of the input: %w", namespace, err)
	}
	in := networking.BuildInput(server,
		networking.NamespaceInfo{Name: namespace, Labels: ns.Labels},
		networking.OperatorInfo{Namespace: s.operatorNamespace, PodLabels: podLabels},
		networking.AdaptersFromStatus(server))
	return &liveServer{server: server, input: in}, nil
}

func (s *serverFlags) client() (client.Client, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = s.kubeconfig
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: s.context})
	config, err := loader.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	namespace := s.namespace
	if namespace == "" {
		if namespace, _, err = loader.Namespace(); err != nil {
			return nil, "", fmt.Errorf("kubeconfig namespace: %w", err)
		}
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, "", err
	}
	if err := dittov1.AddToScheme(scheme); err != nil {
		return nil, "", err
	}
	c, err := client.New(config, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", fmt.Errorf("connecting to the Kubernetes API: %w", err)
	}
	return c, namespace, nil
}

// notes tell what the printed input and decision can and cannot show.
func (l *liveServer) notes(w io.Writer, revision string) {
	key := l.server.Namespace + "/" + l.server.Name
	if len(l.server.Status.Adapters) == 0 && l.server.Status.RunningAdapters == "" {
		fmt.Fprintf(w, "note: the operator has not recorded the adapters of %s yet (status.adapters is empty): the input lists none\n", key)
	}
	switch operator := l.server.Status.PolicyRevision; {
	case operator == "":
		fmt.Fprintf(w, "note: evaluated with policy revision %s; the operator has not decided for %s yet\n", revision, key)
	case operator != revision:
		fmt.Fprintf(w, "note: evaluated with policy revision %s, but the operator's last decision for %s came from revision %s: "+
			"pass --policy-dir with the files of the operator's policy ConfigMap (and --replace-defaults if it runs with them replaced)\n",
			revision, key, operator)
	default:
		fmt.Fprintf(w, "note: evaluated with policy revision %s, that of the operator's last decision for %s\n", revision, key)
	}
}
