package lit

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strconv"

	"github.com/litsigner/litsigner/lit/internal/jsonfast"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// Field names of an opened Naga execute reply (nagawire.Result), of its
// data (nagawire.ExecuteResponse) and of a share, as encoding/json
// matches them.
var (
	nagaResultKeys = []string{"ok", "error", "errorObject", "data"}
	nagaDataKeys   = []string{"success", "signedData", "decryptedData", "claimData", "response", "logs", "paymentDetail"}
	nagaShareKeys  = []string{"sigType", "signatureShare", "publicKey", "sigName"}
	// nagaPaymentKeys are a nagawire.PaymentDetail's.
	nagaPaymentKeys = []string{"component", "quantity", "price"}
)

// fastNagaData decodes an opened execute reply of the usual successful
// shape in one pass: what json.Unmarshal gives for its data when
// json.Unmarshal(plain, &res) succeeds with res.OK true and
// json.Unmarshal(res.Data, &data) succeeds. Encoding/json scanned the
// reply four times (the result, then its data, each validated and then
// decoded). It declines (ok false) anything else: ok not true, keys
// spelled other than exactly or given twice, strings outside jsonfast's,
// decryptedData and claimData other than an object or array, unknown keys
// with other than simple values (unknown share keys at all); such replies
// take encoding/json as before.
func fastNagaData(plain []byte) (data nagawire.ExecuteResponse, ok bool) {
	d := jsonfast.NewReader(plain)
	isOK, haveData := false, false
	ok = d.Fields(nagaResultKeys, true, func(idx int) bool {
		switch idx {
		case 0:
			isOK = d.Literal("true")
			return isOK
		case 1, 2:
			var s *string
			return d.OptStr(&s)
		default:
			haveData = true
			return readNagaData(d, &data)
		}
	})
	return data, ok && isOK && haveData && d.Done()
}

// readNagaData reads the data object.
func readNagaData(d *jsonfast.Reader, data *nagawire.ExecuteResponse) bool {
	return d.Fields(nagaDataKeys, true, func(idx int) bool {
		if idx != 2 && idx != 3 && d.Literal("null") {
			return true // the field keeps its zero value, as encoding/json leaves it
		}
		switch idx {
		case 0:
			switch {
			case d.Literal("true"):
				data.Success = true
			case d.Literal("false"):
				data.Success = false
			default:
				return false
			}
			return true
		case 1:
			return readNagaShares(d, data)
		case 2:
			return readRawJSON(d, &data.DecryptedData)
		case 3:
			return readRawJSON(d, &data.ClaimData)
		case 4:
			return d.StrField(&data.Response)
		case 5:
			return d.StrField(&data.Logs)
		default:
			var ok bool
			data.PaymentDetail, ok = readPaymentDetail(d)
			return ok
		}
	})
}

// readPaymentDetail reads the paymentDetail array: objects whose
// component is a string, quantity an unsigned integer and price an integer
// (each may be null, leaving the field as it is), other keys simple
// values. Prices are read by big.Int's own UnmarshalJSON, as encoding/json
// reads them. It declines anything else (a null entry, a fraction, an
// exponent), which encoding/json then decodes or refuses.
func readPaymentDetail(d *jsonfast.Reader) ([]nagawire.PaymentDetail, bool) {
	out := []nagawire.PaymentDetail{}
	ok := d.Array(func() bool {
		var p nagawire.PaymentDetail
		ok := d.Peek() == '{' && d.Fields(nagaPaymentKeys, true, func(idx int) bool {
			if idx == 0 {
				return d.StrField(&p.Component)
			}
			if d.Literal("null") {
				return true
			}
			num, ok := d.Number()
			if !ok {
				return false
			}
			if idx == 1 {
				q, err := strconv.ParseUint(string(num), 10, 64)
				p.Quantity = q
				return err == nil
			}
			p.Price = new(big.Int)
			return p.Price.UnmarshalJSON(num) == nil
		})
		out = append(out, p)
		return ok
	})
	return out, ok
}

// readNagaShares reads the signedData object.
func readNagaShares(d *jsonfast.Reader, data *nagawire.ExecuteResponse) bool {
	var ok bool
	data.SignedData, ok = jsonfast.Map(d, func(sh *nagawire.SignedShare) bool {
		fields := [...]*string{&sh.SigType, &sh.SignatureShare, &sh.PublicKey, &sh.SigName}
		return d.Fields(nagaShareKeys, false, func(idx int) bool { return d.StrField(fields[idx]) })
	})
	return ok
}

// readRawJSON reads an object or an array, checked to be valid JSON, into
// *dst as json.RawMessage does.
func readRawJSON(d *jsonfast.Reader, dst *json.RawMessage) bool {
	raw, ok := d.ValidComposite()
	if ok {
		*dst = bytes.Clone(raw)
	}
	return ok
}
