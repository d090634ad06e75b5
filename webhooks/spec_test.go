package webhooks_test

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

var _ = Describe("Spec checks", func() {
	var (
		ctx context.Context
		ns  string
	)

	BeforeEach(func() {
		ctx = context.Background()
		ns = newNamespace(ctx, k8s, nil)
	})

	// Each check has a refused and an accepted case; fields are the paths
	// the refusal must name, none for an accepted object.
	DescribeTable("refuse what the schema cannot express",
		func(name string, mutate func(*dittov1.DittoServer), fields ...string) {
			server := sampleServer(ns, name)
			mutate(server)
			err := k8s.Create(ctx, server)
			if len(fields) == 0 {
				Expect(err).NotTo(HaveOccurred())
				return
			}
			deniedByWebhook(err)
			Expect(causeFields(err)).To(ConsistOf(fields))
		},
		Entry("a name with a dot", "fs.one", func(*dittov1.DittoServer) {}, "metadata.name"),
		Entry("a name starting with a digit", "1fs", func(*dittov1.DittoServer) {}, "metadata.name"),
		Entry("an unknown name template placeholder", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.NameTemplate = "{instance}-{namespace}-{adapter}"
		}, "spec.adapterService.nameTemplate"),
		Entry("a name template without {adapter}", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.NameTemplate = "{instance}-share"
		}, "spec.adapterService.nameTemplate"),
		Entry("a name template with {adapter}", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.NameTemplate = "{instance}-{adapter}-share"
		}),
		Entry("a name template too long once rendered", strings.Repeat("a", 40), func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.NameTemplate = "{instance}-{adapter}-" + strings.Repeat("x", 20)
		}, "spec.adapterService.nameTemplate", "spec.adapterService.nameTemplate"),
		Entry("a name template taking the API Service's name", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.NameTemplate = "{instance}-api"
		}, "spec.adapterService.nameTemplate", "spec.adapterService.nameTemplate"),
		Entry("a name template without letters", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.NameTemplate = "0-1"
		}, "spec.adapterService.nameTemplate", "spec.adapterService.nameTemplate"),
		Entry("a 500ms polling interval", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: 500 * time.Millisecond}
		}, "spec.adapterPolling.interval"),
		Entry("a 2h polling interval", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: 2 * time.Hour}
		}, "spec.adapterPolling.interval"),
		Entry("a 1s polling interval", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: time.Second}
		}),
		Entry("invalid annotation keys", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Annotations = map[string]string{"not a key": "v"}
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"smb": {Annotations: map[string]string{"a/b/c": "v"}}}
			s.Spec.Service.Annotations = map[string]string{"-x": "v"}
		}, "spec.adapterService.annotations", "spec.adapterService.overrides[smb].annotations", "spec.service.annotations"),
		Entry("valid annotations", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Annotations = map[string]string{"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"smb": {Annotations: map[string]string{"example.com/x": ""}}}
			s.Spec.Service.Annotations = map[string]string{"team": "storage"}
		}),
		Entry("source ranges that are not CIDRs", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.LoadBalancerSourceRanges = []string{"10.0.0.0/8", "10.0.0.0/33", "office"}
		}, "spec.adapterService.loadBalancerSourceRanges[1]", "spec.adapterService.loadBalancerSourceRanges[2]"),
		Entry("CIDR source ranges", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.LoadBalancerSourceRanges = []string{"10.0.0.0/8", "2001:db8::/32"}
		}),
		Entry("an override for any adapter type DittoFS may report", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{
				"webdav": {Type: dittov1.ServiceTypeNodePort, Port: ptr.To[int32](80)}, "iscsi": {},
			}
		}),
		Entry("NFS published on 2049", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"nfs": {Port: ptr.To[int32](2049)}}
		}),
		Entry("an override publishing the control-plane port", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"nfs": {Port: ptr.To[int32](8080)}}
		}, "spec.adapterService.overrides[nfs].port"),
		Entry("two overrides publishing one port", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{
				"nfs": {Port: ptr.To[int32](2049)}, "smb": {Port: ptr.To[int32](2049)},
			}
		}, "spec.adapterService.overrides[smb].port"),
		Entry("overrides for nfs and smb", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{
				"nfs": {Type: dittov1.ServiceTypeNodePort}, "smb": {Type: dittov1.ServiceTypeClusterIP},
			}
		}),
		Entry("settings of spec.config the operator owns", "fs", func(s *dittov1.DittoServer) {
			s.Spec.Config = configOf(map[string]any{
				"controlplane": map[string]any{"port": 9000, "tls": map[string]any{"enabled": true}},
				"database":     map[string]any{"type": "postgres"},
			})
		}, "spec.config.controlplane.port", "spec.config.controlplane.tls", "spec.config.database"),
		Entry("settings of spec.config the operator leaves alone", "fs", func(s *dittov1.DittoServer) {
			s.Spec.Config = configOf(map[string]any{"logging": map[string]any{"level": "DEBUG"}, "cache": map[string]any{"size": "2Gi"}})
		}),
	)

	DescribeTable("refuse what can never work, naming the fix, when the webhook answers",
		func(name string, mutate func(*dittov1.DittoServer), message string) {
			server := sampleServer(ns, name)
			mutate(server)
			err := k8s.Create(ctx, server)
			deniedByWebhook(err)
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("a name with a dot", "fs.one", func(*dittov1.DittoServer) {},
			`metadata.name "fs.one" contains a dot: the Services fs.one-api, fs.one-headless and those of the adapters are named after it, and a Service name may not contain dots. Choose a name without dots, such as "fs-one"`),
		Entry("a name starting with a digit", "1fs", func(*dittov1.DittoServer) {},
			`Start the name with a letter, such as "fs-1fs"`),
		Entry("an unknown placeholder", "fs", func(s *dittov1.DittoServer) {
			s.Spec.AdapterService.NameTemplate = "{instance}-{namespace}-{adapter}"
		}, `spec.adapterService.nameTemplate "{instance}-{namespace}-{adapter}" uses {namespace}, which is not a placeholder: only {instance} (the DittoServer's name) and {adapter} (the adapter type) are filled in`),
		Entry("spec.nfsPort", "fs", func(s *dittov1.DittoServer) { s.Spec.NFSPort = ptr.To[int32](12049) },
			"Remove the field and run 'dfsctl adapter enable nfs --port 12049'"),
	)

	It("warns when a Service name had to be made a valid label", func() {
		warnings, err := warned(func(c client.Client) error {
			server := sampleServer(ns, "fs")
			server.Spec.AdapterService.NameTemplate = "Share_{adapter}"
			return c.Create(ctx, server)
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(warnings).To(ContainElement(`the Service name "Share_nfs" of adapter "nfs" became "share-nfs" to be a valid DNS-1035 label`))
	})

	It("refuses storage changes a StatefulSet cannot apply, and accepts equal sizes", func() {
		server := sampleServer(ns, "fs")
		server.Spec.Storage.CacheSize = ptr.To(resource.MustParse("5Gi"))
		Expect(k8s.Create(ctx, server)).To(Succeed())

		server.Spec.Storage.MetadataSize = resource.MustParse("1024Mi")
		Expect(k8s.Update(ctx, server)).To(Succeed())

		server.Spec.Storage.MetadataSize = resource.MustParse("2Gi")
		server.Spec.Storage.CacheSize = ptr.To(resource.MustParse("10Gi"))
		err := k8s.Update(ctx, server)
		deniedByWebhook(err)
		Expect(causeFields(err)).To(ConsistOf("spec.storage.metadataSize", "spec.storage.cacheSize"))
		Expect(err.Error()).To(ContainSubstring("expand the PersistentVolumeClaim metadata-fs-0 directly"))
	})

	It("reports every problem of a request at once", func() {
		server := sampleServer(ns, "fs")
		server.Spec.NFSPort = ptr.To[int32](2049)
		server.Spec.SMB = rawJSON(map[string]any{})
		server.Spec.Config = configOf(map[string]any{
			"adapters":     map[string]any{"smb": map[string]any{"port": 445}},
			"controlplane": map[string]any{"host": "127.0.0.1"},
		})
		server.Spec.AdapterPolling.Interval = &metav1.Duration{Duration: 500 * time.Millisecond}
		server.Spec.AdapterService.NameTemplate = "{instance}"
		server.Spec.AdapterService.Annotations = map[string]string{"not a key": ""}
		server.Spec.AdapterService.LoadBalancerSourceRanges = []string{"office"}
		server.Spec.AdapterService.Overrides = map[string]dittov1.AdapterServiceOverride{"nfs": {Port: ptr.To[int32](8080)}}
		server.Spec.Service.Annotations = map[string]string{"-x": ""}
		err := k8s.Create(ctx, server)
		deniedByWebhook(err)
		Expect(causeFields(err)).To(ConsistOf(
			"spec.nfsPort", "spec.smb", "spec.config.adapters", "spec.config.controlplane.host",
			"spec.adapterPolling.interval", "spec.adapterService.nameTemplate",
			"spec.adapterService.annotations", "spec.adapterService.loadBalancerSourceRanges[0]",
			"spec.adapterService.overrides[nfs].port", "spec.service.annotations",
		))
	})
})
