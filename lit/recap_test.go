package lit

import "testing"

func TestRecapEncoding(t *testing.T) {
	const cidA = "QmYQ9nqo3srTPdEEpv3MwZ5dyZr4gq8vy5DH7MXkaeXLQs"
	const cidB = "QmZ4AkPpQZ8kRtx4LbUoDXHpAhGDvtRPa7mLYBDWDjtPGz"
	tests := []struct {
		name      string
		cap       Capability
		resource  string
		statement string
		grants    map[string]bool
	}{
		{
			name:      "all actions (SDK wildcard, byte-identical)",
			cap:       Capability{},
			resource:  "urn:recap:eyJhdHQiOnsibGl0LWxpdGFjdGlvbjovLyoiOnsiKi8qIjpbe31dfX0sInByZiI6W119",
			statement: "I further authorize the stated URI to perform the following actions on my behalf: (1) '*': '*' for 'lit-litaction://*'.",
			grants:    map[string]bool{"*": true, cidA: true},
		},
		{
			// Vector produced with @lit-protocol/auth-helpers 2.2.63:
			// addCapabilityForResource(new LitActionResource(cid), LitAbility.LitActionExecution).
			name:      "two CIDs, sorted",
			cap:       Capability{IPFSIDs: []string{cidB, cidA, cidB}},
			resource:  "urn:recap:eyJhdHQiOnsibGl0LWxpdGFjdGlvbjovL1FtWVE5bnFvM3NyVFBkRUVwdjNNd1o1ZHlacjRncTh2eTVESDdNWGthZVhMUXMiOnsiVGhyZXNob2xkL0V4ZWN1dGlvbiI6W3t9XX0sImxpdC1saXRhY3Rpb246Ly9RbVo0QWtQcFFaOGtSdHg0TGJVb0RYSHBBaEdEdnRSUGE3bUxZQkRXRGp0UEd6Ijp7IlRocmVzaG9sZC9FeGVjdXRpb24iOlt7fV19fSwicHJmIjpbXX0",
			statement: "I further authorize the stated URI to perform the following actions on my behalf: (1) 'Threshold': 'Execution' for 'lit-litaction://" + cidA + "'. (2) 'Threshold': 'Execution' for 'lit-litaction://" + cidB + "'.",
			grants:    map[string]bool{"*": false, cidA: true, cidB: true, "QmZ4AkPpQZ8kRtx4LbUoDXHpAhGDvtRPa7mLYBDWDjtPGa": false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.cap.normalized()
			if err != nil {
				t.Fatal(err)
			}
			rc := c.toRecap()
			enc := rc.encode()
			if tt.resource != "" && enc != tt.resource {
				t.Fatalf("resource\n got %s\nwant %s", enc, tt.resource)
			}
			if got := rc.statement(); got != tt.statement {
				t.Fatalf("statement\n got %s\nwant %s", got, tt.statement)
			}
			back, err := decodeRecap(enc)
			if err != nil {
				t.Fatal(err)
			}
			if back.encode() != enc {
				t.Fatalf("decode/encode round trip differs")
			}
			for id, want := range tt.grants {
				if got := back.grants(id); got != want {
					t.Errorf("grants(%s) = %v, want %v", id, got, want)
				}
			}
		})
	}
}

func TestCapabilityRejectsBadCIDs(t *testing.T) {
	for _, id := range []string{"", "Qm", "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
		"QmYQ9nqo3srTPdEEpv3MwZ5dyZr4gq8vy5DH7MXkaeXLQ0", "QmYQ9nqo3srTPdEEpv3MwZ5dyZr4gq8vy5DH7MXkaeXLQs/"} {
		if _, err := (Capability{IPFSIDs: []string{id}}).normalized(); err == nil {
			t.Errorf("%q accepted", id)
		}
	}
}

func TestDecodeRecapRejects(t *testing.T) {
	for _, s := range []string{"urn:other:x", "urn:recap:!!!", "urn:recap:" + "bnVsbA", "urn:recap:e30"} {
		if _, err := decodeRecap(s); err == nil {
			t.Errorf("%q decoded", s)
		}
	}
	if _, err := decodeRecap("urn:recap:eyJhdHQiOnsibGl0LWxpdGFjdGlvbjovLyoiOnsiKi8qIjpbe31dfX0sInByZiI6W119=="); err != nil {
		t.Errorf("padded recap refused: %v", err)
	}
}
