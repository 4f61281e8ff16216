package attest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheMissHitCorrupt(t *testing.T) {
	a, _ := authorities(t)
	kdsSrv := newKDS(t, a.KDSHandler())
	dir := filepath.Join(t.TempDir(), "litsigner", "vcek")
	opts := &Options{Roots: rootsOnly(a), Cache: &Cache{Dir: dir}, KDSURL: kdsSrv.URL, NoProxy: true}
	ch := newChallenge(t)
	att, err := a.Attest(ch, testNodeAddr, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Miss: fetched from the KDS, then stored.
	v, err := Verify(ctx, att, ch, testNode, opts)
	if err != nil {
		t.Fatal(err)
	}
	if v.VCEKSource != "direct" || v.CacheErr != nil || kdsSrv.hits.Load() != 1 {
		t.Fatalf("miss: source %q, cache error %v, %d KDS requests", v.VCEKSource, v.CacheErr, kdsSrv.hits.Load())
	}
	k := vcekKey{product: ProductLine, chipID: a.chipID, tcb: a.tcb}
	file := filepath.Join(dir, k.fileName())
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 || di.Mode().Perm() != 0o700 {
		t.Fatalf("file mode %v, dir mode %v; want 0644 in 0700", fi.Mode().Perm(), di.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("cache dir holds %d entries, want 1 (no temporary files left)", len(entries))
	}

	// Hit: no request.
	if v, err = Verify(ctx, att, ch, testNode, opts); err != nil {
		t.Fatal(err)
	}
	if v.VCEKSource != "cache" || kdsSrv.hits.Load() != 1 {
		t.Fatalf("hit: source %q, %d KDS requests", v.VCEKSource, kdsSrv.hits.Load())
	}

	// Corrupt file: reported, dropped, fetched again, rewritten.
	if err := os.WriteFile(file, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, err = Verify(ctx, att, ch, testNode, opts); err != nil {
		t.Fatal(err)
	}
	if v.VCEKSource != "direct" || v.CacheErr == nil || !strings.Contains(v.CacheErr.Error(), "corrupt") || kdsSrv.hits.Load() != 2 {
		t.Fatalf("corrupt: source %q, cache error %v, %d KDS requests", v.VCEKSource, v.CacheErr, kdsSrv.hits.Load())
	}
	if der, err := os.ReadFile(file); err != nil || string(der) != string(a.VCEK().Raw) {
		t.Fatalf("cache file not rewritten: %v", err)
	}

	// Another chip's VCEK stored under this chip's name is corrupt too.
	_, b := authorities(t)
	if err := os.WriteFile(file, b.VCEK().Raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if v, err = Verify(ctx, att, ch, testNode, opts); err != nil || v.CacheErr == nil || kdsSrv.hits.Load() != 3 {
		t.Fatalf("foreign VCEK in cache: %+v, %v, %d KDS requests", v, err, kdsSrv.hits.Load())
	}
}

func TestCacheUnwritable(t *testing.T) {
	a, _ := authorities(t)
	kdsSrv := newKDS(t, a.KDSHandler())
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// The cache dir cannot be made (a file is in the way): verification
	// still succeeds, and says why nothing was cached.
	opts := &Options{Roots: rootsOnly(a), Cache: &Cache{Dir: filepath.Join(blocker, "vcek")}, KDSURL: kdsSrv.URL, NoProxy: true}
	ch := newChallenge(t)
	att, err := a.Attest(ch, testNodeAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify(ctx, att, ch, testNode, opts)
	if err != nil {
		t.Fatal(err)
	}
	if v.CacheErr == nil || !strings.Contains(v.CacheErr.Error(), "attestation cache") {
		t.Fatalf("cache error %v", v.CacheErr)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if d, err := DefaultCacheDir(); err != nil || d != "/xdg/litsigner/vcek" {
		t.Fatalf("DefaultCacheDir = %q, %v", d, err)
	}
	t.Setenv("XDG_CACHE_HOME", "relative")
	t.Setenv("HOME", "/home/u")
	if d, err := DefaultCacheDir(); err != nil || d != "/home/u/.cache/litsigner/vcek" {
		t.Fatalf("DefaultCacheDir = %q, %v", d, err)
	}
}

func TestFetchThroughProxy(t *testing.T) {
	a, _ := authorities(t)
	kdsSrv := newKDS(t, a.KDSHandler())
	// A proxy in the cors.litgateway.com style: GET /{full target URL}.
	proxy := newKDS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := strings.TrimPrefix(r.URL.RequestURI(), "/")
		if !strings.HasPrefix(target, kdsSrv.URL+"/") {
			http.Error(w, "bad target "+target, http.StatusBadRequest)
			return
		}
		resp, err := http.Get(target)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			w.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}))
	ch := newChallenge(t)
	att, err := a.Attest(ch, testNodeAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify(ctx, att, ch, testNode, &Options{Roots: rootsOnly(a), KDSURL: kdsSrv.URL, ProxyURL: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	if v.VCEKSource != "proxy "+proxy.URL || proxy.hits.Load() != 1 || kdsSrv.hits.Load() != 1 {
		t.Fatalf("source %q, proxy %d, kds %d requests", v.VCEKSource, proxy.hits.Load(), kdsSrv.hits.Load())
	}

	// The proxy fails: the KDS is asked directly, as the SDK does.
	down := newKDS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	v, err = Verify(ctx, att, ch, testNode, &Options{Roots: rootsOnly(a), KDSURL: kdsSrv.URL, ProxyURL: down.URL})
	if err != nil {
		t.Fatal(err)
	}
	if v.VCEKSource != "direct" || down.hits.Load() != 1 {
		t.Fatalf("source %q after proxy failure", v.VCEKSource)
	}
}

func TestFetchFailureText(t *testing.T) {
	a, _ := authorities(t)
	down := newKDS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	ch := newChallenge(t)
	att, err := a.Attest(ch, testNodeAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(ctx, att, ch, testNode, &Options{Roots: rootsOnly(a), KDSURL: down.URL, ProxyURL: down.URL})
	wantReason(t, err, testNode, ErrAttestationFetch)
	k := vcekKey{product: ProductLine, chipID: a.chipID, tcb: a.tcb}
	for _, want := range []string{"VCEK certificate unavailable", "fetch " + k.url(down.URL), "proxy " + down.URL + ": HTTP 503", "direct: HTTP 503"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}

	// A cancelled context stops the fetch and says so.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Verify(cctx, att, ch, testNode, &Options{Roots: rootsOnly(a), KDSURL: down.URL, NoProxy: true})
	wantReason(t, err, testNode, ErrAttestationFetch)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %q does not wrap context.Canceled", err)
	}
}

func TestHTTPGetter(t *testing.T) {
	big := newKDS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, maxCertSize+1))
	}))
	if _, err := (HTTPGetter{}).Get(ctx, big.URL); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("oversized answer: %v", err)
	}
	ok := newKDS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) }))
	if b, err := (HTTPGetter{Client: ok.Client()}).Get(ctx, ok.URL); err != nil || string(b) != "x" {
		t.Fatalf("Get = %q, %v", b, err)
	}
}
