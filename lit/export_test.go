package lit

// SetAttestationKDS points c's VCEK fetches at kdsURL (a loopback server
// in tests: nothing may reach AMD's) without the proxy. It must be called
// before the first handshake.
func SetAttestationKDS(c *Client, kdsURL string) {
	p := c.proto.(*protoNaga)
	p.attest.KDSURL, p.attest.NoProxy = kdsURL, true
}

// DropAttestationVCEKs makes c's attestation roots ARK and ASK only, so
// that every VCEK comes from the cache or the KDS.
func DropAttestationVCEKs(c *Client) {
	p := c.proto.(*protoNaga)
	r := *p.attest.Roots
	r.VCEKs = nil
	p.attest.Roots = &r
}
