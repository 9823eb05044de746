// Package certs makes certificate authorities and the certificates they
// sign, for the lab (agent mTLS, the BBS double, the director simulator)
// and for the tests of every mTLS endpoint: one generator, so what the
// tests trust is what the lab ships.
package certs

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
	"time"
)

// Validity of what this package issues: a lab or a test run, with room for
// a lab left running over a weekend.
const Validity = 7 * 24 * time.Hour

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

// NewCA makes a CA named name and writes its certificate to
// dir/name-ca.pem; dir must exist.
func NewCA(dir, name string) (*CA, string, error) {
	ca, err := NewCAInMemory(name)
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, name+"-ca.pem")
	if err := os.WriteFile(path, ca.CertPEM, 0o600); err != nil {
		return nil, "", err
	}
	return ca, path, nil
}

// NewCAInMemory makes a CA named name and writes nothing.
func NewCAInMemory(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(Validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Issue signs a certificate for cn valid for both server and client use,
// with localhost, cn, 127.0.0.1 and ::1 as SANs plus hosts (IPs or DNS
// names), and writes it to dir/cn.pem and dir/cn.key; dir must exist.
func (ca *CA) Issue(dir, cn string, hosts ...string) (Pair, error) {
	p, err := ca.IssueInMemory(cn, hosts...)
	if err != nil {
		return Pair{}, err
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

// IssueInMemory is Issue without files.
func (ca *CA) IssueInMemory(cn string, hosts ...string) (Pair, error) {
	return ca.IssueEdited(cn, nil, hosts...)
}

// IssueEdited is IssueInMemory with edit applied to the certificate
// before it is signed: an expired one, one for servers only, and so on,
// for the tests that show what the agent refuses.
func (ca *CA) IssueEdited(cn string, edit func(*x509.Certificate), hosts ...string) (Pair, error) {
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
		NotAfter:     time.Now().Add(Validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{"localhost", cn},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
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
	return Pair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// TLSCertificate is the pair as a tls.Certificate.
func (p Pair) TLSCertificate() (tls.Certificate, error) {
	return tls.X509KeyPair(p.CertPEM, p.KeyPEM)
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
