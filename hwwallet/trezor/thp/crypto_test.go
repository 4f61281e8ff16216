package thp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"

	fe "filippo.io/edwards25519/field"
)

// Elligator 2 against RFC 9380's curve25519 suite and elligator.org.
func TestElligator2(t *testing.T) {
	raw, err := os.ReadFile("testdata/elligator2.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct{ Source, R, U string }
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) != 14 {
		t.Fatalf("%d vectors", len(vectors))
	}
	for _, v := range vectors {
		if got := hex.EncodeToString(elligator2(mustHex(v.R))); got != v.U {
			t.Errorf("%s: elligator2(%s) = %s, want %s", v.Source, v.R, got, v.U)
		}
	}
}

func TestSqrtMinusOne(t *testing.T) {
	var sq, minusOne fe.Element
	sq.Square(sqrtMinusOne)
	minusOne.Negate(new(fe.Element).One())
	if sq.Equal(&minusOne) != 1 {
		t.Fatal("sqrtMinusOne² ≠ -1")
	}
}

// IETF CPace draft G_X25519 vectors (also in trezor-firmware
// core/tests/test_trezor.wire.thp.cpace.py): X25519 on non-canonical and
// twist inputs, and the low-order points that must be refused.
func TestCPaceX25519(t *testing.T) {
	s := mustHex("af46e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449aff")
	for _, tc := range []struct{ in, want string }{
		{"daffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "d8e2c776bbacd510d09fd9278b7edcd25fc5ae9adfba3b6e040e8d3b71b21806"},
		{"dbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "c85c655ebe8be44ba9c0ffde69f2fe10194458d137f09bbff725ce58803cdb38"},
		{"d9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "db64dafa9b8fdd136914e61461935fe92aa372cb056314e1231bc4ec12417456"},
		{"cdeb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880", "e062dcd5376d58297be2618c7498f55baa07d7e03184e8aada20bca28888bf7a"},
		{"4c9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7", "993c6ad11c4c29da9a56f7691fd0ff8d732e49de6250b6c2e80003ff4629a175"},
	} {
		got, err := x25519(s, mustHex(tc.in))
		if err != nil || hex.EncodeToString(got) != tc.want {
			t.Errorf("X25519(s, %s) = %x, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, low := range []string{
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
	} {
		if _, err := x25519(s, mustHex(low)); err == nil {
			t.Errorf("low-order point %s accepted", low)
		}
	}
}

// The CodeEntry values of transcript 01: code and generator from the
// handshake hash, secret and challenge the study device logged.
func TestCodeEntryVector(t *testing.T) {
	hh := mustHex("5934b3e4b1a69e3a1e3c32a9bd635da2f4d2a5fb75b9112965558ad965ba6404")
	secret := mustHex("da219b6fde58a1331a4a03bf54c238d1")
	challenge := mustHex("09c8c5a74e49e686b022d42a7437f4afa7f0a740802a62f6b0f6f67cf6065843")
	if code := pairingCode(hh, secret, challenge); code != "383726" {
		t.Errorf("code %s", code)
	}
	gen := cpaceGenerator("383726", hh)
	if got := hex.EncodeToString(gen); got != "c4005deee712c1a2d7c9aacea8fb8b2838019de75f6b2b65e2083bcd79528068" {
		t.Errorf("generator %s", got)
	}
	pub, err := x25519(mustHex("bfee869dfec654294b58e1e9504b774415344d7d9494f7296310d48e556a7043"), gen)
	if err != nil || hex.EncodeToString(pub) != "d0028e0c5d2a6d1413f48386418ed90699b10f6a8fd40c4ec1cfb023d3603352" {
		t.Errorf("cpace trezor public key %x %v", pub, err)
	}
	for _, c := range []string{"12345", "1234567", "12a456", ""} {
		if validCode(c) {
			t.Errorf("%q accepted as a code", c)
		}
	}
}

// trezor-suite pairing.test.ts: of two stored device keys, the one behind
// the masked key is found.
func TestMaskedKeyLookup(t *testing.T) {
	hs := &hostHandshake{
		maskedStatic: mustHex("be8d024bbcd5ac116e041035fcc6243ce1d77d7075e351c87aa0831fbf46ce66"),
		trezorE:      mustHex("f817f577f24d7ec08c1ea397df2da916e0ee81423961763dc45395e18fc02121"),
	}
	hit := Credential{TrezorStaticPublicKey: mustHex("2bcdbc9fd7949c3f37aa80a53801f52ec554facfe76118030926294250fd6838"), Credential: []byte("hit")}
	miss := Credential{TrezorStaticPublicKey: mustHex("1317c99c16fce04935782ed250cf0cacb12216f739cea55257258a2ff9440763"), Credential: []byte("miss")}
	got, ok := findCredential(hs, []Credential{miss, hit})
	if !ok || string(got.Credential) != "hit" {
		t.Fatalf("found %q, %v", got.Credential, ok)
	}
	if _, ok := findCredential(hs, []Credential{miss, {TrezorStaticPublicKey: []byte{1, 2}}}); ok {
		t.Fatal("a wrong key matched")
	}
}

// trezor-firmware core/tests/test_apps.thp.credential_manager.py
// test_protobuf_encoding: key beef, host key 0000, "host_name"/"APP".
func TestCredentialVector(t *testing.T) {
	want := []byte("\n\x10\n\thost_name\x1a\x03APP\x12 p\x08Lv#\x185\xcd\x07sF\xb6f\x8e?P\x8d\x88\xf5\xa0\xd4\x16''\x90\x97$\xa4AQ@\x95")
	key, host := []byte{0xbe, 0xef}, []byte{0, 0}
	got := issueCredential(key, host, credentialMetadata{HostName: "host_name", AppName: "APP"})
	if !bytes.Equal(got, want) {
		t.Fatalf("credential\n got %x\nwant %x", got, want)
	}
	meta, err := checkCredential(key, host, got)
	if err != nil || meta.HostName != "host_name" || meta.AppName != "APP" || meta.Autoconnect != nil {
		t.Fatalf("check: %+v %v", meta, err)
	}
	for name, tc := range map[string]struct{ key, host, cred []byte }{
		"other host key": {key, []byte{0xff, 0xff}, got},
		"other device":   {[]byte{1}, host, got},
		"truncated":      {key, host, got[:len(got)-1]},
		"garbage":        {key, host, []byte{0xff, 0xff, 0xff}},
		"oversized":      {key, host, make([]byte, maxCredential+1)},
	} {
		if _, err := checkCredential(tc.key, tc.host, tc.cred); err == nil {
			t.Errorf("%s: credential accepted", name)
		}
	}
}

// The handshake of transcript 01's first channel, both roles, from the
// logged keys: same handshake hash and transport keys on both sides.
func TestHandshakeVector(t *testing.T) {
	props := fixtureProperties.marshal()
	hostE := mustKey(t, fixtureHostE)
	host, req := newHostHandshake(props, hostE, false)
	dev, err := readInitRequest(props, req)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := dev.initResponse(mustKey(t, fixtureDeviceStatic), mustKey(t, mustHex("d97eb59a9c3df2d6ecb34d5d845a46ace2db51044a07653c04ef2cf205afb3da")))
	if err != nil {
		t.Fatal(err)
	}
	if err := host.readInitResponse(resp); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(host.maskedStatic); got != "2c8f760d12f62c475ee3ba2b06b316e63f249d26744932a0cfd069ed20e8b455" {
		t.Errorf("masked static %s", got)
	}
	if !host.isDevice(mustKey(t, fixtureDeviceStatic).PublicKey().Bytes()) {
		t.Error("the device's key does not match its masked key")
	}
	comp, hc, hh, err := host.completion(mustKey(t, fixtureHostStatic), nil)
	if err != nil {
		t.Fatal(err)
	}
	hostStatic, payload, dc, dhh, err := dev.readCompletion(comp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hh, dhh) || hex.EncodeToString(hh) != "5934b3e4b1a69e3a1e3c32a9bd635da2f4d2a5fb75b9112965558ad965ba6404" {
		t.Errorf("handshake hash %x / %x", hh, dhh)
	}
	if !bytes.Equal(hostStatic, mustKey(t, fixtureHostStatic).PublicKey().Bytes()) || len(payload) != 0 {
		t.Errorf("host static %x payload %x", hostStatic, payload)
	}
	if st, err := readCompletionResponse(hc, completionResponse(dc, statePaired)); err != nil || st != statePaired {
		t.Fatalf("state %d %v", st, err)
	}
	m := Message{Session: 1, Type: 64, Data: []byte("hello")}
	got, err := dc.open(hc.seal(m))
	if err != nil || got.Session != 1 || got.Type != 64 || string(got.Data) != "hello" {
		t.Fatalf("host→device %+v %v", got, err)
	}
	back, err := hc.open(dc.seal(m))
	if err != nil || string(back.Data) != "hello" {
		t.Fatalf("device→host %+v %v", back, err)
	}
	if _, err := hc.open(dc.seal(m)[1:]); err == nil {
		t.Fatal("a damaged message decrypted")
	}
}

// FuzzHandshakeDevice feeds arbitrary handshake messages to the device's
// parsers: errors, never panics.
func FuzzHandshakeDevice(f *testing.F) {
	props := fixtureProperties.marshal()
	f.Add(append(bytes.Repeat([]byte{4}, 32), 0), make([]byte, 80))
	f.Fuzz(func(t *testing.T, init, comp []byte) {
		hs, err := readInitRequest(props, init)
		if err != nil {
			return
		}
		if _, err := hs.initResponse(mustKey(t, fixtureDeviceStatic), mustKey(t, bytes.Repeat([]byte{7}, 32))); err != nil {
			return
		}
		if _, _, _, _, err := hs.readCompletion(comp); err == nil {
			t.Fatal("an unauthenticated completion request was accepted")
		}
	})
}

// FuzzHandshakeHost feeds arbitrary initiation and completion responses
// to the host's parsers.
func FuzzHandshakeHost(f *testing.F) {
	props := fixtureProperties.marshal()
	f.Add(make([]byte, initResponseSize))
	f.Fuzz(func(t *testing.T, resp []byte) {
		hs, _ := newHostHandshake(props, mustKey(t, fixtureHostE), false)
		if err := hs.readInitResponse(resp); err == nil {
			t.Fatal("an unauthenticated initiation response was accepted")
		}
	})
}

// FuzzMessages feeds arbitrary bodies to the protobuf decoders.
func FuzzMessages(f *testing.F) {
	f.Add(mustHex("0a045433573110001802200028022801"))
	f.Add(mustHex("080122137468705f70616972696e675f72657175657374"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseDeviceProperties(b)
		_, _ = ParseFailure(b)
		_, _ = ParseButtonRequest(b)
		_, _ = parseCredentialMetadata(b)
		_, _ = checkCredential([]byte{1}, []byte{2}, b)
		_, _ = bytesFields(b, 1, 2)
		_, _, _ = varintField(b, 1)
	})
}

func TestCheckRevealedSecret(t *testing.T) {
	hh := mustHex("5934b3e4b1a69e3a1e3c32a9bd635da2f4d2a5fb75b9112965558ad965ba6404")
	secret := mustHex("da219b6fde58a1331a4a03bf54c238d1")
	challenge := mustHex("09c8c5a74e49e686b022d42a7437f4afa7f0a740802a62f6b0f6f67cf6065843")
	commitment := mustHex("6c9990467f8697f76dcc40ce4eace033d9473eaf379b599e5f5416ad4209b5d6") // transcript 01
	other := bytes.Clone(secret)
	other[0] ^= 1
	otherSum := sha256.Sum256(other)
	for _, tc := range []struct {
		name       string
		commitment []byte
		secret     []byte
		code       string
		ok         bool
	}{
		{"transcript 01", commitment, secret, "383726", true},
		{"secret changed after the commitment", commitment, other, "383726", false},
		{"consistent but another code", otherSum[:], other, "383726", false},
		{"code typed differs", commitment, secret, "383727", false},
	} {
		err := checkRevealedSecret(hh, tc.commitment, challenge, tc.secret, tc.code)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrPairing)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
