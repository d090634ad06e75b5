package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/dittofs/dittofs-operator/e2e/framework"
	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/controller"
	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

const (
	namespace = "demo"
	name      = "fs1"
	// simulatorPassword is the simulated DittoFS's admin password.
	simulatorPassword = dittofstest.DefaultAdminPassword
	// movedPort is where the simulator's adapter comes back.
	movedPort = int32(2445)
)

// demo holds what the story started, for the cleanup.
type demo struct {
	cfg  config
	out  io.Writer
	step int

	env      *framework.Env
	sim      *dittofstest.Server
	apiURL   string
	password string
	admin    *framework.AdminAPI
	operator *framework.Operator
	created  time.Time
	// stopKubelet ends the stand-in kubelet that keeps the pod ready.
	stopKubelet context.CancelFunc
	kubelet     chan struct{}
}

// run tells the story and then stops everything it started, whatever
// happened.
func run(ctx context.Context, cfg config, out io.Writer) (err error) {
	d := &demo{cfg: cfg, out: out}
	defer func() { err = errors.Join(err, d.cleanup()) }()
	for _, step := range []func(context.Context) error{
		d.startCluster, d.startDittoFS, d.startOperator, d.createServer, d.showPublished,
		d.toggleAdapter, d.showServer, d.hold,
	} {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) title(format string, args ...any) {
	d.step++
	fmt.Fprintf(d.out, "\n=== Step %d: %s\n", d.step, fmt.Sprintf(format, args...))
}

func (d *demo) printf(format string, args ...any) {
	fmt.Fprintf(d.out, format, args...)
}

func (d *demo) startCluster(ctx context.Context) error {
	d.title("Start a local Kubernetes API and install the Helm chart")
	env, err := framework.Start(ctx, framework.Options{Progress: prefixWriter{d.out, "    "}})
	if err != nil {
		return err
	}
	d.env = env
	d.printf("    kube-apiserver: %s\n", env.Config.Host)
	d.printf("    release %s in namespace %s: CRD, RBAC, webhook configuration (calling %s), policy ConfigMap\n",
		env.Chart.Release, env.Chart.Namespace, env.WebhookURL())
	return nil
}

func (d *demo) startDittoFS(ctx context.Context) error {
	if d.cfg.dittofsURL == "" {
		d.title("Start a DittoFS API (the built-in simulator of DittoFS v0.29)")
		sim, err := dittofstest.New(dittofstest.Options{AdminPassword: simulatorPassword})
		if err != nil {
			return err
		}
		d.sim, d.apiURL, d.password = sim, sim.URL(), simulatorPassword
	} else {
		d.title("Reach the DittoFS API at %s", d.cfg.dittofsURL)
		d.apiURL, d.password = d.cfg.dittofsURL, d.cfg.adminPassword
	}
	d.admin = framework.NewAdminAPI(d.apiURL, d.password)
	adapters, err := d.admin.Adapters(ctx)
	if err != nil {
		return fmt.Errorf("the DittoFS API at %s: %w", d.apiURL, err)
	}
	d.printf("    %s reports its adapters (GET /api/v1/adapters):\n", d.apiURL)
	for _, a := range adapters {
		d.printf("      %-4s port %-5d enabled=%t running=%t\n", a.Type, a.Port, a.Enabled, a.Running)
	}
	return nil
}

func (d *demo) startOperator(ctx context.Context) error {
	d.title("Run the operator with the chart's arguments, as the chart's ServiceAccount")
	op, err := d.env.StartOperator(framework.OperatorOptions{})
	if err != nil {
		return err
	}
	d.operator = op
	d.printf("    pid %d, acting as %s\n", op.Pid(), op.ServiceAccount)
	d.printf("    dittofs-operator %s\n", strings.Join(op.Args, " "))
	d.printf("    log: %s\n", op.LogPath)
	if err := op.WaitReady(ctx, 2*time.Minute); err != nil {
		return err
	}
	d.printf("    ready: the webhook certificate is issued, its CA injected, admission served\n")
	return nil
}

func (d *demo) createServer(ctx context.Context) error {
	d.title("Create the DittoServer %s/%s", namespace, name)
	if err := d.env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return err
	}
	server := framework.DittoServerFor(namespace, name, d.apiURL)
	server.TypeMeta = metav1.TypeMeta{APIVersion: dittov1.GroupVersion.String(), Kind: "DittoServer"}
	manifest, err := yaml.Marshal(server)
	if err != nil {
		return err
	}
	d.printf("    $ kubectl apply -f - <<EOF\n%s    EOF\n", indent(string(manifest), "    "))
	d.printf("    (with the Secret %s holding the DittoFS admin password)\n", framework.AdminPasswordSecret(name))
	if err := framework.CreateDittoServer(ctx, d.env.Client, server, d.password); err != nil {
		return err
	}
	d.created = time.Now()
	// No kubelet runs here: a stand-in reports the StatefulSet's pod ready
	// whenever the StatefulSet controller creates it.
	kubeletCtx, stop := context.WithCancel(context.Background())
	d.stopKubelet, d.kubelet = stop, make(chan struct{})
	go func() {
		defer close(d.kubelet)
		framework.KeepPodReady(kubeletCtx, d.env.Client, namespace, name)
	}()
	return nil
}

func (d *demo) showPublished(ctx context.Context) error {
	d.title("The operator provisions its DittoFS account and publishes every running adapter")
	err := d.waitFor(ctx, time.Minute, "the adapter Services", func() (bool, error) {
		server, err := d.server(ctx)
		if err != nil {
			return false, err
		}
		c := conditionOf(server, dittov1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionTrue, nil
	})
	if err != nil {
		return err
	}
	server, err := d.server(ctx)
	if err != nil {
		return err
	}
	d.printf("    DittoFS account %q (role operator) in the Secret %s-operator-credentials\n", controller.OperatorUsername, name)
	d.printf("    Ready %s after its creation; running adapters: %s\n", time.Since(d.created).Round(100*time.Millisecond), server.Status.RunningAdapters)
	return d.show(ctx, false, "services", "networkpolicies")
}

// toggleAdapter disables an adapter through the DittoFS admin API and
// enables it again: on another port with the simulator, where it was on a
// real DittoFS, which it leaves as it found it.
func (d *demo) toggleAdapter(ctx context.Context) error {
	adapters, err := d.admin.Adapters(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(adapters, func(a framework.Adapter) bool { return a.Type == "smb" && a.Enabled && a.Running })
	if i < 0 {
		i = slices.IndexFunc(adapters, func(a framework.Adapter) bool { return a.Enabled && a.Running })
	}
	if i < 0 {
		return errors.New("the DittoFS API reports no running adapter to disable")
	}
	adapter := adapters[i]
	service := name + "-" + adapter.Type
	port := movedPort
	if d.sim == nil {
		port = adapter.Port
	}

	d.title("Disable %s through the DittoFS admin API", adapter.Type)
	d.printf("    $ dfsctl adapter disable %s        # PUT /api/v1/adapters/%s {\"enabled\": false}\n", adapter.Type, adapter.Type)
	start := time.Now()
	var kept corev1.Service
	if err := d.env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: service}, &kept); err != nil {
		return err
	}
	if err := d.admin.Disable(ctx, adapter.Type); err != nil {
		return err
	}
	err = d.waitFor(ctx, time.Minute, "the "+service+" NetworkPolicy to go", func() (bool, error) {
		err := d.env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: service}, &networkingv1.NetworkPolicy{})
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	})
	if err != nil {
		return err
	}
	d.printf("    the NetworkPolicy %s is gone after %s (the operator polls every %s): the port is closed\n",
		service, time.Since(start).Round(100*time.Millisecond), framework.PollInterval)
	d.printf("    the Service %s (cluster IP %s) is kept for spec.adapterService.retention (%s by default), so that clients find it at the same address if %s returns\n",
		service, kept.Spec.ClusterIP, dittov1.DefaultRetention, adapter.Type)
	if err := d.show(ctx, false, "services", "networkpolicies"); err != nil {
		return err
	}

	d.title("Enable %s again on port %d", adapter.Type, port)
	d.printf("    $ dfsctl adapter enable %s --port %d   # PUT /api/v1/adapters/%s {\"enabled\": true, \"port\": %d}\n", adapter.Type, port, adapter.Type, port)
	start = time.Now()
	if err := d.admin.Enable(ctx, adapter.Type, port); err != nil {
		return err
	}
	err = d.waitFor(ctx, time.Minute, "the "+service+" Service on port "+fmt.Sprint(port), func() (bool, error) {
		var svc corev1.Service
		err := d.env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: service}, &svc)
		if err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return len(svc.Spec.Ports) == 1 && svc.Spec.Ports[0].Port == port, nil
	})
	if err != nil {
		return err
	}
	var back corev1.Service
	if err := d.env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: service}, &back); err != nil {
		return err
	}
	same := "the same Service, at the same cluster IP " + back.Spec.ClusterIP
	if back.UID != kept.UID {
		same = "a new Service"
	}
	d.printf("    %s is back on port %d after %s: %s\n", service, port, time.Since(start).Round(100*time.Millisecond), same)
	return d.show(ctx, false, "services", "networkpolicies")
}

func (d *demo) showServer(ctx context.Context) error {
	d.title("The DittoServer as kubectl shows it, and its events")
	// The status follows the Service within a reconcile; wait for it so the
	// columns tell the final state.
	err := d.waitFor(ctx, 30*time.Second, "the status", func() (bool, error) {
		server, err := d.server(ctx)
		if err != nil {
			return false, err
		}
		c := conditionOf(server, dittov1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionTrue && strings.Count(server.Status.RunningAdapters, ":") >= 2, nil
	})
	if err != nil {
		return err
	}
	if err := d.show(ctx, true, "dittoservers"); err != nil {
		return err
	}
	var events eventsv1.EventList
	if err := d.env.Client.List(ctx, &events, client.InNamespace(namespace)); err != nil {
		return err
	}
	slices.SortFunc(events.Items, func(a, b eventsv1.Event) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	d.printf("\n    Events of dittoserver/%s:\n", name)
	for _, e := range events.Items {
		if e.Regarding.Kind == "DittoServer" && e.Regarding.Name == name {
			d.printf("      %-8s %-22s %s\n", e.Type, e.Reason, e.Note)
		}
	}
	return nil
}

func (d *demo) hold(ctx context.Context) error {
	d.title("Look around")
	d.printf("    kubeconfig: %s\n", d.env.UserKubeconfig)
	d.printf("    $ export KUBECONFIG=%s\n", d.env.UserKubeconfig)
	d.printf("    $ kubectl get dittoserver,services,networkpolicies -n %s -o wide\n", namespace)
	if d.sim != nil {
		d.printf("    DittoFS API: %s (user admin, password %q)\n", d.apiURL, d.password)
	} else {
		d.printf("    DittoFS API: %s (user admin, password in $DITTOFS_ADMIN_PASSWORD)\n", d.apiURL)
	}
	d.printf("    operator log: %s\n", d.operator.LogPath)
	switch d.cfg.hold {
	case 0:
		d.printf("    (set DEMO_HOLD=10m, or DEMO_HOLD=forever, to keep everything running)\n")
		return nil
	case forever:
		d.printf("    Everything keeps running until Ctrl-C.\n")
	default:
		d.printf("    Everything keeps running for %s, or until Ctrl-C.\n", d.cfg.hold)
	}
	select {
	case <-ctx.Done():
		return nil // a signal ends the hold, which is how it is meant to end
	case <-d.operator.Done():
		return fmt.Errorf("the operator exited (%v); its log: %s", d.operator.ExitError(), d.operator.LogPath)
	case <-time.After(d.cfg.hold):
		return nil
	}
}

// cleanup deletes the DittoServer while the operator still runs (so it
// removes its DittoFS account), then stops the operator, the control plane
// and the simulator.
func (d *demo) cleanup() error {
	if d.env == nil && d.sim == nil {
		return nil
	}
	fmt.Fprintf(d.out, "\n=== Cleaning up\n")
	var errs []error
	if !d.created.IsZero() && d.operator != nil && !d.operator.Exited() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		errs = append(errs, d.deleteServer(ctx))
		cancel()
	}
	if d.stopKubelet != nil {
		d.stopKubelet()
		<-d.kubelet
	}
	if d.env != nil {
		errs = append(errs, d.env.Stop())
		d.printf("    stopped the operator, the webhook proxy, kube-controller-manager, kube-apiserver and etcd\n")
	}
	if d.sim != nil {
		d.sim.Close()
		d.printf("    stopped the DittoFS simulator\n")
	}
	return errors.Join(errs...)
}

func (d *demo) deleteServer(ctx context.Context) error {
	server := &dittov1.DittoServer{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if err := d.env.Client.Delete(ctx, server); client.IgnoreNotFound(err) != nil {
		return err
	}
	err := d.waitFor(ctx, 30*time.Second, "the DittoServer to go", func() (bool, error) {
		err := d.env.Client.Get(ctx, client.ObjectKeyFromObject(server), server)
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	})
	if err != nil {
		return fmt.Errorf("deleting the DittoServer: %w", err)
	}
	if d.sim == nil {
		d.printf("    deleted the DittoServer; its finalizer removed the operator's DittoFS account %q\n", controller.OperatorUsername)
		return nil
	}
	if slices.ContainsFunc(d.sim.Users(), func(u dittofstest.UserState) bool { return u.Username == controller.OperatorUsername }) {
		return fmt.Errorf("the DittoServer is deleted but the DittoFS account %q remains", controller.OperatorUsername)
	}
	d.printf("    deleted the DittoServer; the operator removed its DittoFS account %q\n", controller.OperatorUsername)
	return nil
}

func (d *demo) server(ctx context.Context) (*dittov1.DittoServer, error) {
	server := &dittov1.DittoServer{}
	err := d.env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, server)
	return server, err
}

// waitFor polls done until it is true, fails, or timeout passes.
func (d *demo) waitFor(ctx context.Context, timeout time.Duration, what string, done func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := done()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		if d.operator != nil && d.operator.Exited() {
			return fmt.Errorf("waiting for %s: the operator exited (%v); its log: %s", what, d.operator.ExitError(), d.operator.LogPath)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: not after %s (operator log: %s)", what, timeout, d.operator.LogPath)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// show prints objects of the demo namespace with kubectl, or, without it,
// from the API server's own tables (what kubectl prints).
func (d *demo) show(ctx context.Context, wide bool, resources ...string) error {
	args := []string{"get", strings.Join(resources, ","), "-n", namespace}
	if wide {
		args = append(args, "-o", "wide")
	}
	d.printf("\n    $ kubectl %s\n", strings.Join(args, " "))
	if d.cfg.kubectl != "" {
		cmd := exec.CommandContext(ctx, d.cfg.kubectl, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+d.env.UserKubeconfig)
		output, err := cmd.CombinedOutput()
		d.printf("%s", indent(string(output), "    "))
		if err != nil {
			return fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), err)
		}
		return nil
	}
	paths := map[string]string{
		"services":        "/api/v1/namespaces/" + namespace + "/services",
		"networkpolicies": "/apis/networking.k8s.io/v1/namespaces/" + namespace + "/networkpolicies",
		"dittoservers":    "/apis/" + dittov1.GroupVersion.String() + "/namespaces/" + namespace + "/dittoservers",
	}
	for i, r := range resources {
		table, err := framework.Table(ctx, d.env.Config, paths[r], "")
		if err != nil {
			return err
		}
		if i > 0 {
			d.printf("\n")
		}
		var sb strings.Builder
		if err := framework.PrintTable(&sb, table, wide, time.Now()); err != nil {
			return err
		}
		d.printf("%s", indent(sb.String(), "    "))
	}
	return nil
}

func conditionOf(server *dittov1.DittoServer, condType string) *metav1.Condition {
	for i := range server.Status.Conditions {
		if server.Status.Conditions[i].Type == condType {
			return &server.Status.Conditions[i]
		}
	}
	return nil
}

func indent(text, prefix string) string {
	var sb strings.Builder
	for line := range strings.Lines(text) {
		sb.WriteString(prefix + line)
	}
	return sb.String()
}

// prefixWriter indents every line written to it.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, indent(string(b), p.prefix)); err != nil {
		return 0, err
	}
	return len(b), nil
}

var lookPath = exec.LookPath
