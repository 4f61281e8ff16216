package lit

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// ReCap (EIP-5573) constants as the SDK's auth-helpers and siwe-recap use them.
const (
	recapURNPrefix = "urn:recap:"
	// recapStatementPrefix is siwe-recap's statement lead-in.
	recapStatementPrefix = "I further authorize the stated URI to perform the following actions on my behalf: "
	// recapAllAbility is the wildcard ability ("*/*") of
	// addAllCapabilitiesForResource.
	recapAllAbility = "*/*"
	// recapExecutionAbility is getRecapNamespaceAndAbility(LitActionExecution):
	// namespace "Threshold", ability "Execution".
	recapExecutionAbility = "Threshold/Execution"
	// litActionWildcard is the resource key granting every Lit Action.
	litActionWildcard = LitActionResourcePrefix + "://*"
)

// cidV0 matches a CIDv0: "Qm" and 44 base58btc characters.
var cidV0 = regexp.MustCompile(`^Qm[1-9A-HJ-NP-Za-km-z]{44}$`)

// IsCIDv0 reports whether s looks like an IPFS CIDv0 ("Qm" + 44 base58).
func IsCIDv0(s string) bool { return cidV0.MatchString(s) }

// Capability is what a session may do. Empty IPFSIDs grants every Lit
// Action (lit-litaction://*, ability */*, like the SDK's wildcard session);
// otherwise only the listed actions (ability Threshold/Execution each).
type Capability struct {
	IPFSIDs []string
}

// requestFor is the resourceAbilityRequest for running id ("*" for inline
// code or a CID), checked against c.
func (c Capability) requestFor(id string) (ResourceAbilityRequest, error) {
	if len(c.IPFSIDs) == 0 {
		return LitActionRequest("*"), nil
	}
	if id == "*" {
		return ResourceAbilityRequest{}, fmt.Errorf("lit: session grants only IPFS actions %s, not inline code: %w",
			strings.Join(c.IPFSIDs, ", "), ErrInvalidParams)
	}
	if slices.Contains(c.IPFSIDs, id) {
		return LitActionRequest(id), nil
	}
	return ResourceAbilityRequest{}, fmt.Errorf("lit: session does not grant action %s: %w", id, ErrInvalidParams)
}

// validate checks the CIDs and returns them sorted and deduplicated.
func (c Capability) normalized() (Capability, error) {
	if len(c.IPFSIDs) == 0 {
		return Capability{}, nil
	}
	seen := map[string]bool{}
	var ids []string
	for _, id := range c.IPFSIDs {
		if !IsCIDv0(id) {
			return c, fmt.Errorf("lit: capability: %q is not a CIDv0 (Qm + 44 base58 characters): %w", id, ErrInvalidParams)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return Capability{IPFSIDs: ids}, nil
}

// recap is a decoded ReCap object: att[resource][ability] = restrictions.
type recap struct {
	Att map[string]map[string][]map[string]any `json:"att"`
	Prf []string                               `json:"prf"`
}

// toRecap is the attenuation object for c.
func (c Capability) toRecap() recap {
	att := map[string]map[string][]map[string]any{}
	if len(c.IPFSIDs) == 0 {
		att[litActionWildcard] = map[string][]map[string]any{recapAllAbility: {{}}}
	}
	for _, id := range c.IPFSIDs {
		att[LitActionResourcePrefix+"://"+id] = map[string][]map[string]any{recapExecutionAbility: {{}}}
	}
	return recap{Att: att, Prf: []string{}}
}

// resourceKeys lists the granted Lit resource keys, sorted.
func (r recap) resourceKeys() []string {
	keys := make([]string, 0, len(r.Att))
	for k := range r.Att {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// encode returns the "urn:recap:..." SIWE resource: canonical JSON (sorted
// keys, as the canonicalize package writes it), base64url without padding.
// Restrictions are always empty objects in what we build.
func (r recap) encode() string {
	var b strings.Builder
	b.WriteString(`{"att":{`)
	for i, res := range r.resourceKeys() {
		if i > 0 {
			b.WriteByte(',')
		}
		jsKey(&b, res)
		b.WriteByte('{')
		abs := sortedKeys(r.Att[res])
		for j, ab := range abs {
			if j > 0 {
				b.WriteByte(',')
			}
			jsKey(&b, ab)
			b.WriteByte('[')
			for k := range r.Att[res][ab] {
				if k > 0 {
					b.WriteByte(',')
				}
				b.WriteString("{}")
			}
			b.WriteByte(']')
		}
		b.WriteByte('}')
	}
	b.WriteString(`},"prf":[`)
	for i, p := range r.Prf {
		if i > 0 {
			b.WriteByte(',')
		}
		jsQuote(&b, p)
	}
	b.WriteString("]}")
	return recapURNPrefix + base64.RawURLEncoding.EncodeToString([]byte(b.String()))
}

// statement is siwe-recap's human-readable sentence for r, with the SDK's
// sanitizeSiweMessage (double quotes become single quotes).
func (r recap) statement() string {
	var b strings.Builder
	b.WriteString(recapStatementPrefix)
	section := 1
	for _, res := range r.resourceKeys() {
		// Group ability names by namespace, namespaces in sorted order of
		// their first appearance in the sorted ability list (JS object order).
		var nsOrder []string
		names := map[string][]string{}
		for _, ab := range sortedKeys(r.Att[res]) {
			ns, name, _ := strings.Cut(ab, "/")
			if _, ok := names[ns]; !ok {
				nsOrder = append(nsOrder, ns)
			}
			names[ns] = append(names[ns], name)
		}
		for _, ns := range nsOrder {
			quoted := make([]string, len(names[ns]))
			for i, n := range names[ns] {
				quoted[i] = "'" + n + "'"
			}
			fmt.Fprintf(&b, "(%d) '%s': %s for '%s'. ", section, ns, strings.Join(quoted, ", "), res)
			section++
		}
	}
	return strings.ReplaceAll(strings.TrimSuffix(b.String(), " "), `"`, "'")
}

// decodeRecap parses a "urn:recap:" resource. It never panics.
func decodeRecap(resource string) (recap, error) {
	enc, ok := strings.CutPrefix(resource, recapURNPrefix)
	if !ok {
		return recap{}, fmt.Errorf("not a recap resource")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
	if err != nil {
		return recap{}, fmt.Errorf("recap: base64url: %w", err)
	}
	var r recap
	if err := json.Unmarshal(raw, &r); err != nil {
		return recap{}, fmt.Errorf("recap: json: %w", err)
	}
	if r.Att == nil {
		return recap{}, fmt.Errorf("recap: no attenuations")
	}
	return r, nil
}

// grants reports whether r allows executing the Lit Action id ("*" or a
// CID), matching the SDK's verifyCapabilitiesForResource: the wildcard
// resource first, then the exact one; ability "*/*" or Threshold/Execution.
func (r recap) grants(id string) bool {
	keys := []string{litActionWildcard}
	if id != "*" {
		keys = append(keys, LitActionResourcePrefix+"://"+id)
	}
	for _, k := range keys {
		abs, ok := r.Att[k]
		if !ok {
			continue
		}
		for ab := range abs {
			if ab == recapAllAbility || ab == recapExecutionAbility {
				return true
			}
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
