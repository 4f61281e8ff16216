package action

import (
	"time"

	"github.com/dlclark/regexp2/v2"
)

// RegexpMatchTimeout bounds one regular-expression match that goja runs
// with dlclark/regexp2 (patterns Go's regexp cannot run: lookaround,
// backreferences), which backtracks and can take exponential time
// (/^(x+x+)+y(?=z)/ on 60 x's) in one call the VM cannot interrupt. A match
// past it ends as "no match". It is a process-wide setting of regexp2
// (regexp2.DefaultMatchTimeout, read when a pattern is compiled), set once
// when this package is loaded; it equals DefaultTimeout, so that a run with
// the default limits is at its deadline before one of its matches gives
// up.
const RegexpMatchTimeout = DefaultTimeout

func init() {
	regexp2.DefaultMatchTimeout = RegexpMatchTimeout
}

// setRegexpMatchTimeout changes regexp2's timeout for the patterns
// compiled from now on; tests call it before any run starts.
func setRegexpMatchTimeout(d time.Duration) time.Duration {
	old := regexp2.DefaultMatchTimeout
	regexp2.DefaultMatchTimeout = d
	return old
}
