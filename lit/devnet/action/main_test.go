package action

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/dlclark/regexp2/v2"
)

// testRegexpMatchTimeout replaces RegexpMatchTimeout in the tests, so that
// a catastrophic backtracking stops within a test's patience.
const testRegexpMatchTimeout = 500 * time.Millisecond

func TestMain(m *testing.M) {
	// Loading the package must have bounded regexp2's matches (they ran
	// forever by default); checked here, before the tests shorten it.
	if regexp2.DefaultMatchTimeout != RegexpMatchTimeout {
		fmt.Fprintf(os.Stderr, "regexp2.DefaultMatchTimeout = %v, want RegexpMatchTimeout (%v)\n", regexp2.DefaultMatchTimeout, RegexpMatchTimeout)
		os.Exit(1)
	}
	setRegexpMatchTimeout(testRegexpMatchTimeout)
	os.Exit(m.Run())
}
