package controller_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
	"github.com/dittofs/dittofs-operator/operator/controller"
	"github.com/dittofs/dittofs-operator/operator/dittofs"
	sim "github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

var _ = Describe("Operator identity", func() {
	var (
		ctx context.Context
		ns  string
	)

	BeforeEach(func() {
		ctx = context.Background()
		ns = newNamespace(ctx)
	})

	AfterEach(func() {
		expectNoSecretsLeaked(ctx, ns, adminPassword, "not-the-password")
	})

	// credentials reads the operator's credentials Secret.
	credentials := func(g Gomega, name string) map[string]string {
		var secret corev1.Secret
		g.Expect(k8s.Get(ctx, key(ns, name+"-operator-credentials"), &secret)).To(Succeed())
		out := map[string]string{}
		for k, v := range secret.Data {
			out[k] = string(v)
		}
		return out
	}

	authenticated := func(g Gomega, name string) {
		server := &dittov1.DittoServer{}
		g.Expect(k8s.Get(ctx, key(ns, name), server)).To(Succeed())
		c := condition(server, dittov1.ConditionAuthenticated)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
	}

	It("provisions an operator account and uses the admin token for bootstrap calls only", func() {
		api := newDittoAPI(sim.Options{})
		Expect(k8s.Create(ctx, serverWithAPI(ctx, ns, "fs1", api, adminPassword))).To(Succeed())

		Eventually(func(g Gomega) {
			creds := credentials(g, "fs1")
			g.Expect(creds).To(HaveKeyWithValue("username", controller.OperatorUsername))
			g.Expect(creds["serverURL"]).To(Equal(api.URL()))
			g.Expect(api.CheckPassword(controller.OperatorUsername, creds["password"])).To(BeTrue())
		}).Should(Succeed())
		Eventually(func(g Gomega) { authenticated(g, "fs1") }).Should(Succeed())
		Eventually(func() int { return api.Count(sim.RouteListAdapters, dittofs.RoleOperator) }).Should(BeNumerically(">=", 2))

		By("the admin token served the bootstrap calls only")
		Expect(api.Count(sim.RouteListAdapters, dittofs.RoleAdmin)).To(BeZero())
		Expect(api.Count(sim.RouteCreateUser, dittofs.RoleAdmin)).To(Equal(1))
		Expect(api.Count(sim.RouteLogin, dittofs.RoleAdmin)).To(Equal(1))
		for _, rec := range api.Requests() {
			if rec.Role == dittofs.RoleAdmin {
				Expect(rec.Route).To(BeElementOf(sim.RouteLogin, sim.RouteCreateUser), rec.Route)
			}
			if rec.Route == sim.RouteListAdapters {
				Expect(rec.Role).To(Equal(dittofs.RoleOperator))
				Expect(rec.Status).To(Equal(200))
			}
		}
		users := api.Users()
		Expect(users).To(ContainElement(And(
			HaveField("Username", controller.OperatorUsername),
			HaveField("Role", dittofs.RoleOperator))))
	})

	It("takes back an existing account after a 409", func() {
		api := newDittoAPI(sim.Options{})
		client, err := dittofs.New(dittofs.Config{BaseURL: api.URL()})
		Expect(err).NotTo(HaveOccurred())
		admin, err := client.Login(ctx, "admin", adminPassword)
		Expect(err).NotTo(HaveOccurred())
		_, err = client.CreateUser(ctx, admin.AccessToken, dittofs.NewUser{
			Username: controller.OperatorUsername, Password: "someone-elses-password", Role: dittofs.RoleOperator,
		})
		Expect(err).NotTo(HaveOccurred())

		Expect(k8s.Create(ctx, serverWithAPI(ctx, ns, "fs1", api, adminPassword))).To(Succeed())
		Eventually(func(g Gomega) {
			creds := credentials(g, "fs1")
			g.Expect(api.CheckPassword(controller.OperatorUsername, creds["password"])).To(BeTrue())
			authenticated(g, "fs1")
		}).Should(Succeed())
		Expect(api.Count(sim.RouteResetPassword, dittofs.RoleAdmin)).To(Equal(1))
	})

	// Token refreshes, expiry and the recovery from a deleted user are
	// tested on a fake clock (poller_test.go); this spec checks the
	// credentials Secret's side.
	It("writes the credentials Secret again when it is deleted", func() {
		api := newDittoAPI(sim.Options{})
		Expect(k8s.Create(ctx, serverWithAPI(ctx, ns, "fs1", api, adminPassword))).To(Succeed())
		Eventually(func(g Gomega) { authenticated(g, "fs1") }).Should(Succeed())
		before := credentials(Default, "fs1")
		Expect(k8s.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "fs1-operator-credentials", Namespace: ns}})).To(Succeed())
		Eventually(func(g Gomega) {
			creds := credentials(g, "fs1")
			g.Expect(creds["password"]).To(Equal(before["password"]))
			g.Expect(api.CheckPassword(controller.OperatorUsername, creds["password"])).To(BeTrue(),
				"the Secret's password does not log in; users %v, calls %v", api.Users(), apiCalls(api))
			authenticated(g, "fs1")
		}).WithTimeout(2 * pollInterval).Should(Succeed())
	})

	It("reports rejected admin credentials once, and uses a corrected password at once", func() {
		api := newDittoAPI(sim.Options{})
		Expect(k8s.Create(ctx, serverWithAPI(ctx, ns, "fs1", api, "not-the-password"))).To(Succeed())
		Eventually(func(g Gomega) {
			server := &dittov1.DittoServer{}
			g.Expect(k8s.Get(ctx, key(ns, "fs1"), server)).To(Succeed())
			c := condition(server, dittov1.ConditionAuthenticated)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(c.Reason).To(Equal("AdminCredentialsRejected"))
			g.Expect(c.Message).To(ContainSubstring("fs1-admin-password"))
		}).Should(Succeed())
		Eventually(func() int { return api.Count(sim.RouteLogin, sim.AnyRole) }).Should(BeNumerically(">=", 3), "retried")
		rejected := 0
		for _, e := range eventsOf(ctx, ns, "fs1") {
			if strings.HasPrefix(e, "AdminCredentialsRejected") {
				rejected++
			}
		}
		Expect(rejected).To(Equal(1))

		By("correcting the Secret, which the poller tries without waiting for its backoff")
		var secret corev1.Secret
		Expect(k8s.Get(ctx, key(ns, "fs1-admin-password"), &secret)).To(Succeed())
		secret.Data = map[string][]byte{"password": []byte(adminPassword)}
		Expect(k8s.Update(ctx, &secret)).To(Succeed())
		Eventually(func(g Gomega) { authenticated(g, "fs1") }).WithTimeout(3 * time.Second).Should(Succeed())
	})

	It("removes the operator account when the DittoServer is deleted", func() {
		api := newDittoAPI(sim.Options{})
		Expect(k8s.Create(ctx, serverWithAPI(ctx, ns, "fs1", api, adminPassword))).To(Succeed())
		Eventually(func(g Gomega) { authenticated(g, "fs1") }).Should(Succeed())
		Expect(k8s.Delete(ctx, getServer(ctx, ns, "fs1"))).To(Succeed())
		Eventually(func() []string {
			var names []string
			for _, u := range api.Users() {
				names = append(names, u.Username)
			}
			return names
		}).ShouldNot(ContainElement(controller.OperatorUsername))
	})

	It("does not block deletion for long when the API is gone", func() {
		api := newDittoAPI(sim.Options{})
		Expect(k8s.Create(ctx, serverWithAPI(ctx, ns, "fs1", api, adminPassword))).To(Succeed())
		Eventually(func(g Gomega) { authenticated(g, "fs1") }).Should(Succeed())
		api.Hang()
		Expect(k8s.Delete(ctx, getServer(ctx, ns, "fs1"))).To(Succeed())
		Eventually(func() bool {
			return k8s.Get(ctx, key(ns, "fs1"), &dittov1.DittoServer{}) != nil
		}).WithTimeout(20 * time.Second).Should(BeTrue())
	})
})

// namespace is where the DittoServer of this API lives; set by serverWithAPI.
func (a *dittoAPI) namespace() string { return a.ns }

// expectNoSecretsLeaked checks the operator's logs and the namespace's
// events for the passwords and the tokens the operator holds.
func expectNoSecretsLeaked(ctx context.Context, namespace string, secrets ...string) {
	var list corev1.SecretList
	Expect(k8s.List(ctx, &list, client.InNamespace(namespace))).To(Succeed())
	for _, s := range list.Items {
		if !strings.HasSuffix(s.Name, "-operator-credentials") {
			continue
		}
		for _, k := range []string{"password", "accessToken", "refreshToken"} {
			secrets = append(secrets, string(s.Data[k]))
		}
	}
	logs := operatorLogs.String()
	var events eventsv1.EventList
	Expect(k8s.List(ctx, &events, client.InNamespace(namespace))).To(Succeed())
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		Expect(logs).NotTo(ContainSubstring(secret), "a secret reached the operator's log")
		for _, e := range events.Items {
			Expect(e.Note).NotTo(ContainSubstring(secret), "a secret reached an event")
		}
	}
}

// apiCalls lists the calls a simulator answered, by route and status.
func apiCalls(api *dittoAPI) []string {
	var out []string
	for _, rec := range api.Requests() {
		out = append(out, fmt.Sprintf("%s %s %d", rec.Time.Format("15:04:05.000"), rec.Route, rec.Status))
	}
	return out
}
