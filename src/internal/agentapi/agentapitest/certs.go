// Package agentapitest makes throwaway certificate authorities and
// certificates for tests of mTLS endpoints (the agent API, the BBS double).
package agentapitest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority held in memory.
type CA struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
}

// Pair is a PEM certificate and key, also written to files.
type Pair struct {
	CertPEM, KeyPEM   []byte
	CertFile, KeyFile string
}

// NewCA makes a CA named name and writes its certificate to dir/name-ca.pem.
func NewCA(t testing.TB, name string) (*CA, string) {
	t.Helper()
	ca, path, err := NewCAIn(t.TempDir(), name)
	if err != nil {
		t.Fatal(err)
	}
	return ca, path
}

// NewCAIn is NewCA without testing.TB, for the lab (cellrig): the
// certificate goes to dir/name-ca.pem, and dir must exist.
func NewCAIn(dir, name string) (*CA, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", err
	}
	sn, err := serial()
	if err != nil {
		return nil, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, "", err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "", err
	}
	ca := &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	path := filepath.Join(dir, name+"-ca.pem")
	if err := os.WriteFile(path, ca.CertPEM, 0o600); err != nil {
		return nil, "", err
	}
	return ca, path, nil
}

// Issue signs a certificate for cn valid for both server and client use,
// with 127.0.0.1, ::1 and localhost as SANs, and writes it under a temp dir.
func (ca *CA) Issue(t testing.TB, cn string) Pair {
	t.Helper()
	p, err := ca.IssueIn(t.TempDir(), cn)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// IssueIn is Issue without testing.TB, for the lab (cellrig): the files
// go to dir/cn.pem and dir/cn.key, and dir must exist.
func (ca *CA) IssueIn(dir, cn string) (Pair, error) { return ca.issue(dir, cn, nil) }

// IssueWith is Issue with edit applied to the certificate before it is
// signed: an expired one, one for servers only, and so on.
func (ca *CA) IssueWith(t testing.TB, cn string, edit func(*x509.Certificate)) Pair {
	t.Helper()
	p, err := ca.issue(t.TempDir(), cn, edit)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (ca *CA) issue(dir, cn string, edit func(*x509.Certificate)) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	sn, err := serial()
	if err != nil {
		return Pair{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{"localhost", cn},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return Pair{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return Pair{}, err
	}
	p := Pair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
	p.CertFile = filepath.Join(dir, cn+".pem")
	p.KeyFile = filepath.Join(dir, cn+".key")
	if err := os.WriteFile(p.CertFile, p.CertPEM, 0o600); err != nil {
		return Pair{}, err
	}
	if err := os.WriteFile(p.KeyFile, p.KeyPEM, 0o600); err != nil {
		return Pair{}, err
	}
	return p, nil
}

// TLSCertificate is the pair as a tls.Certificate.
func (p Pair) TLSCertificate(t testing.TB) tls.Certificate {
	t.Helper()
	c, err := tls.X509KeyPair(p.CertPEM, p.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Pool is a cert pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
}
