package devnet

import (
	"encoding/json"
	"os"
	"testing"
	"unicode/utf8"
)

func FuzzParseExecuteRequest(f *testing.F) {
	raw, err := os.ReadFile("testdata/execute-request-node7471.json")
	if err != nil {
		f.Fatal(err)
	}
	var fx struct {
		Body json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(fx.Body))
	f.Add([]byte(`{"authSig":{},"ipfsId":"QmTBdeNbkJhfeJW2BpiFnQ5zMTcgNCw2pNa1vkJFmN3v5d","jsParams":null}`))
	f.Add([]byte(`{"authSig":{"sig":1},"code":"eA"}`))
	f.Add([]byte(`{"authSig":{},"code":"//79","jsParams":{"a":[1,{"b":null}]}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, nerr := parseExecuteRequest(body)
		if nerr != nil {
			if req != nil || nerr.Status != 400 || nerr.ErrorKind != KindValidation || nerr.Message == "" {
				t.Fatalf("bad refusal %+v", nerr)
			}
			return
		}
		if (req.Code == "") == (req.IPFSID == "") {
			t.Fatalf("accepted with code %q and ipfsId %q", req.Code, req.IPFSID)
		}
		if !utf8.ValidString(req.Code) || len(req.paramsJSON) == 0 || req.paramsJSON[0] != '{' {
			t.Fatalf("accepted %+v", req)
		}
		if req.IPFSID != "" && len(req.IPFSID) != 46 {
			t.Fatalf("ipfsId %q", req.IPFSID)
		}
	})
}
