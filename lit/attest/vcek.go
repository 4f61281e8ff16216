package attest

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
)

// Where the SDK gets VCEK certificates: AMD's key distribution service,
// asked through Lit's CORS proxy first and directly when that fails.
const (
	DefaultKDSURL   = "https://kdsintf.amd.com"
	DefaultProxyURL = "https://cors.litgateway.com"
)

// maxCertSize bounds a KDS answer; a VCEK is about 1.3 KiB.
const maxCertSize = 64 << 10

// vcekKey names one VCEK: the chip and the TCB it was derived at.
type vcekKey struct {
	product string
	chipID  [abi.ChipIDSize]byte
	tcb     kds.TCBVersion
}

// url is the KDS URL the SDK requests for this VCEK:
// {kds}/vcek/v1/Milan/{chip id hex}?blSPL=NN&teeSPL=NN&snpSPL=NN&ucodeSPL=NN
// (each level zero-padded to two digits).
func (k vcekKey) url(kdsBase string) string {
	p := kds.DecomposeTCBVersion(k.tcb)
	return fmt.Sprintf("%s/vcek/v1/%s/%s?blSPL=%02d&teeSPL=%02d&snpSPL=%02d&ucodeSPL=%02d",
		strings.TrimRight(kdsBase, "/"), k.product, hex.EncodeToString(k.chipID[:]),
		p.BlSpl, p.TeeSpl, p.SnpSpl, p.UcodeSpl)
}

func (k vcekKey) fileName() string {
	return fmt.Sprintf("vcek-%s-%s-%016x.der", k.product, hex.EncodeToString(k.chipID[:]), uint64(k.tcb))
}

// matches reports whether cert is a VCEK for this chip and TCB.
func (k vcekKey) matches(cert *x509.Certificate) error {
	ext, err := kds.VcekCertificateExtensions(cert)
	if err != nil {
		return fmt.Errorf("not a VCEK certificate: %v", err)
	}
	if !bytes.Equal(ext.HWID, k.chipID[:]) {
		return errors.New("VCEK is for another chip")
	}
	if ext.TCBVersion != k.tcb {
		return fmt.Errorf("VCEK TCB %#016x is not the report's REPORTED_TCB %#016x", uint64(ext.TCBVersion), uint64(k.tcb))
	}
	return nil
}

// Getter fetches a URL's body. Verify fetches VCEKs through it.
type Getter interface {
	Get(ctx context.Context, url string) ([]byte, error)
}

// HTTPGetter is the default Getter: a GET that wants 200 and at most 64 KiB.
type HTTPGetter struct {
	// Client is the HTTP client; nil means http.DefaultClient.
	Client *http.Client
}

// Get implements Getter.
func (g HTTPGetter) Get(ctx context.Context, url string) ([]byte, error) {
	client := g.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCertSize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxCertSize {
		return nil, fmt.Errorf("answer larger than %d bytes", maxCertSize)
	}
	return body, nil
}

// fetchVCEK asks the proxy (when set) and then the KDS directly, as the
// SDK does, and returns the first answer that is a VCEK for k.
func fetchVCEK(ctx context.Context, g Getter, kdsBase, proxy string, k vcekKey) (*x509.Certificate, string, error) {
	direct := k.url(kdsBase)
	type attempt struct{ via, url string }
	var attempts []attempt
	if proxy != "" {
		attempts = append(attempts, attempt{"proxy " + proxy, strings.TrimRight(proxy, "/") + "/" + direct})
	}
	attempts = append(attempts, attempt{"direct", direct})
	var errs []string
	for _, a := range attempts {
		body, err := g.Get(ctx, a.url)
		if err == nil {
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(body); err == nil {
				if err = k.matches(cert); err == nil {
					return cert, a.via, nil
				}
			}
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, "", fmt.Errorf("fetch %s: %w", direct, ctxErr)
		}
		errs = append(errs, fmt.Sprintf("%s: %v", a.via, err))
	}
	return nil, "", fmt.Errorf("fetch %s: %s", direct, strings.Join(errs, "; "))
}
