package dittofs_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs-operator/operator/dittofs"
	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

const adminPassword = "adminpass123"

func newClient(t *testing.T, cfg dittofs.Config) *dittofs.Client {
	t.Helper()
	c, err := dittofs.New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return c
}

// simAndClient starts a simulator and a client for it.
func simAndClient(t *testing.T, opts dittofstest.Options) (*dittofstest.Server, *dittofs.Client) {
	t.Helper()
	sim := dittofstest.NewForTest(t, opts)
	return sim, newClient(t, dittofs.Config{BaseURL: sim.URL(), Timeout: 5 * time.Second})
}

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func login(t *testing.T, c *dittofs.Client, username, password string) *dittofs.Tokens {
	t.Helper()
	tok, err := c.Login(ctxFor(t), username, password)
	if err != nil {
		t.Fatalf("login as %s: %v", username, err)
	}
	return tok
}

// createOperator creates user "k8s-operator" with role operator and logs in.
func createOperator(t *testing.T, c *dittofs.Client, adminToken string) *dittofs.Tokens {
	t.Helper()
	const password = "operator-pass-123"
	_, err := c.CreateUser(ctxFor(t), adminToken, dittofs.NewUser{
		Username: "k8s-operator", Password: password, Role: dittofs.RoleOperator,
	})
	if err != nil {
		t.Fatalf("creating operator user: %v", err)
	}
	return login(t, c, "k8s-operator", password)
}

// fakeClock is a settable clock for the simulator.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// testPKI is a CA and a server certificate it signed for 127.0.0.1 and
// localhost.
type testPKI struct {
	caPEM      []byte
	serverCert tls.Certificate
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	caKey := newKey(t)
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "dittofs test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	serverKey := newKey(t)
	serverTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "dittofs-api"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	serverDER, err := x509.CreateCertificate(rand.Reader, serverTemplate, caCert, &serverKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{
		caPEM:      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		serverCert: tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey},
	}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func newServerTLS(pki testPKI) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{pki.serverCert}, MinVersion: tls.VersionTLS12}
}
