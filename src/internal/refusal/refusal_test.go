package refusal_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

func TestARefusalIsKnownThroughWrappingAndOnlyThen(t *testing.T) {
	plain := errors.New("the director did not answer")
	for _, tc := range []struct {
		name string
		err  error
		want bool
		text string
	}{
		{"a refusal", refusal.Errorf("deployment %q not found", "cf"), true, `deployment "cf" not found`},
		{"a wrapped refusal", fmt.Errorf("preflight: %w", refusal.New(plain)), true, "preflight: the director did not answer"},
		{"a plain failure", plain, false, "the director did not answer"},
		{"a failure wrapping a plain error", fmt.Errorf("scan: %w", plain), false, "scan: the director did not answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := refusal.Is(tc.err); got != tc.want {
				t.Errorf("Is = %v, want %v", got, tc.want)
			}
			if tc.err.Error() != tc.text {
				t.Errorf("text %q, want %q", tc.err, tc.text)
			}
		})
	}
	if refusal.New(nil) != nil {
		t.Error("New(nil) is not nil")
	}
	if !errors.Is(refusal.New(plain), plain) {
		t.Error("a refusal does not unwrap to its cause")
	}
}
