package attest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

func TestReportDataVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/reportdata.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []struct {
			Noonce string            `json:"noonce"`
			Data   map[string]string `json:"data"`
			SHA512 string            `json:"sha512"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range file.Vectors {
		data := map[string][]byte{}
		for k, val := range v.Data {
			data[k] = []byte(val)
		}
		got := ReportData([]byte(v.Noonce), data, nil)
		if hex.EncodeToString(got[:]) != v.SHA512 {
			t.Errorf("ReportData(%q, %v) = %x, want %s", v.Noonce, v.Data, got, v.SHA512)
		}
	}
}

func TestReportDataSignatures(t *testing.T) {
	n, d := []byte("n"), map[string][]byte{"k": []byte("v")}
	none := ReportData(n, d, nil)
	oneX := ReportData(n, d, [][]byte{[]byte("x")})
	oneY := ReportData(n, d, [][]byte{[]byte("y")})
	xz := ReportData(n, d, [][]byte{[]byte("x"), []byte("z")})
	yz := ReportData(n, d, [][]byte{[]byte("y"), []byte("z")})
	xw := ReportData(n, d, [][]byte{[]byte("x"), []byte("w")})
	switch {
	case oneX != oneY:
		t.Error("the last (only) signature is bound, it must not be")
	case oneX == none:
		t.Error(`the "signatures" label is missing when there is a signature`)
	case xz == yz:
		t.Error("signatures before the last are not bound")
	case xz != xw:
		t.Error("the last signature is bound, it must not be")
	}
}

func TestParseAttestation(t *testing.T) {
	good := `{"type":"AMD_SEV_SNP","noonce":"AQID","data":{"EXTERNAL_ADDR":"MS4yLjMuNDo0NDM="},"signatures":["BAU="],"report":"BgcI"}`
	att, err := ParseAttestation([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if att.Type != TypeAMDSEVSNP || !bytes.Equal(att.Noonce, []byte{1, 2, 3}) || string(att.Data[DataExternalAddr]) != "1.2.3.4:443" ||
		len(att.Signatures) != 1 || !bytes.Equal(att.Signatures[0], []byte{4, 5}) || !bytes.Equal(att.Report, []byte{6, 7, 8}) {
		t.Fatalf("parsed %+v", att)
	}
	// Unpadded and URL-alphabet base64 are accepted, as Buffer.from does.
	lenient := `{"type":"AMD_SEV_SNP","noonce":"-_8","data":{"EXTERNAL_ADDR":"MS4yLjMuNDo0NDM"},"signatures":[],"report":"BgcI"}`
	if att, err = ParseAttestation([]byte(lenient)); err != nil || !bytes.Equal(att.Noonce, []byte{0xfb, 0xff}) {
		t.Fatalf("lenient: %+v, %v", att, err)
	}

	bad := []struct{ name, in string }{
		{"not json", `{"type":`},
		{"not an object", `[1]`},
		{"no noonce", `{"type":"AMD_SEV_SNP","data":{},"signatures":[],"report":"AA=="}`},
		{"null report", `{"type":"AMD_SEV_SNP","noonce":"AA==","data":{},"signatures":[],"report":null}`},
		{"bad base64 noonce", `{"type":"AMD_SEV_SNP","noonce":"!!","data":{},"signatures":[],"report":"AA=="}`},
		{"bad base64 data", `{"type":"AMD_SEV_SNP","noonce":"AA==","data":{"K":"*"},"signatures":[],"report":"AA=="}`},
		{"bad base64 signature", `{"type":"AMD_SEV_SNP","noonce":"AA==","data":{},"signatures":["%"],"report":"AA=="}`},
		{"data not strings", `{"type":"AMD_SEV_SNP","noonce":"AA==","data":{"K":1},"signatures":[],"report":"AA=="}`},
	}
	for _, tc := range bad {
		if _, err := ParseAttestation([]byte(tc.in)); !errors.Is(err, ErrAttestationMalformed) {
			t.Errorf("%s: error %v, want malformed", tc.name, err)
		}
	}
	for _, in := range []string{"null", " ", ""} {
		if _, err := ParseAttestation([]byte(in)); !errors.Is(err, ErrAttestationMissing) {
			t.Errorf("%q: error %v, want missing", in, err)
		}
	}
}

func TestAttestationJSONRoundTrip(t *testing.T) {
	in := &Attestation{Type: TypeAMDSEVSNP, Noonce: []byte{1}, Data: map[string][]byte{"A": {2}}, Signatures: [][]byte{{3}}, Report: []byte{4}}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseAttestation(raw)
	if err != nil {
		t.Fatal(err)
	}
	if out.Type != in.Type || !bytes.Equal(out.Noonce, in.Noonce) || !bytes.Equal(out.Data["A"], in.Data["A"]) ||
		!bytes.Equal(out.Signatures[0], in.Signatures[0]) || !bytes.Equal(out.Report, in.Report) {
		t.Fatalf("round trip %s -> %+v", raw, out)
	}
}

func TestParseChallenge(t *testing.T) {
	c, err := ParseChallenge("1c0801ed" + "00000000000000000000000000000000000000000000000000000001")
	if err != nil || c[0] != 0x1c || c[31] != 1 {
		t.Fatalf("ParseChallenge = %x, %v", c, err)
	}
	for _, bad := range []string{"", "1c", "zz" + "00000000000000000000000000000000000000000000000000000000000000"} {
		if _, err := ParseChallenge(bad); err == nil {
			t.Errorf("ParseChallenge(%q) accepted", bad)
		}
	}
}
