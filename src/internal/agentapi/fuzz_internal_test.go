package agentapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzDecodeSequesterRequest: any body is either refused with 400 and no
// request, or decoded into a request that encodes and decodes back to
// the same document; never a panic, never a request from a body with more than one
// document or an unknown field.
func FuzzDecodeSequesterRequest(f *testing.F) {
	for _, s := range []string{
		`{"operation_id":"seq-1","keep":{"handles":["h-1"]}}`,
		`{"operation_id":"seq-1","keep":{"none":true},"freeze":true}`,
		`{"operation_id":"seq-1","keep":{"app_guids":["a"],"pids":[42]},"replacement_timeout_seconds":30}`,
		`{"operation_id":"seq-1"}{"operation_id":"seq-2"}`,
		`{"operation_id":"seq-1","keep":{"handle":["typo"]}}`,
		`[]`, `null`, ``, `{"keep":{"handles":["../../etc"]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/v1/sequester", bytes.NewReader(body))
		req, ok := decode(w, r)
		if !ok {
			if w.Code != http.StatusBadRequest {
				t.Fatalf("refused with %d, want 400", w.Code)
			}
			return
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("decoded request does not encode: %v", err)
		}
		w2 := httptest.NewRecorder()
		back, ok := decode(w2, httptest.NewRequest(http.MethodPost, "/v1/sequester", bytes.NewReader(again)))
		// Compared as JSON: an empty list and no list mean the same.
		twice, err := json.Marshal(back)
		if !ok || err != nil || !bytes.Equal(twice, again) {
			t.Fatalf("request %s does not survive a round trip: %s", again, twice)
		}
	})
}
