// Package agentapitest makes throwaway certificate authorities and
// certificates for tests of mTLS endpoints (the agent API, the BBS double),
// as testing.TB wrappers of package certs, the one generator the lab uses
// too.
package agentapitest

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/certs"
)

// CA is a certificate authority held in memory.
type CA struct{ *certs.CA }

// Pair is a PEM certificate and key, also written to files.
type Pair struct{ certs.Pair }

// NewCA makes a CA named name and writes its certificate to a temp dir.
func NewCA(t testing.TB, name string) (*CA, string) {
	t.Helper()
	ca, path, err := certs.NewCA(t.TempDir(), name)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{ca}, path
}

// Issue signs a certificate for cn (see certs.CA.Issue) under a temp dir.
func (ca *CA) Issue(t testing.TB, cn string, hosts ...string) Pair {
	t.Helper()
	p, err := ca.CA.Issue(t.TempDir(), cn, hosts...)
	if err != nil {
		t.Fatal(err)
	}
	return Pair{p}
}

// IssueWith is Issue with edit applied to the certificate before it is
// signed: an expired one, one for servers only, and so on.
func (ca *CA) IssueWith(t testing.TB, cn string, edit func(*x509.Certificate)) Pair {
	t.Helper()
	p, err := ca.CA.IssueEdited(cn, edit)
	if err != nil {
		t.Fatal(err)
	}
	return Pair{p}
}

// TLSCertificate is the pair as a tls.Certificate.
func (p Pair) TLSCertificate(t testing.TB) tls.Certificate {
	t.Helper()
	c, err := p.Pair.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
