package devnet

import (
	"sync"
)

// boundedCache is a map of at most max entries, safe for concurrent use:
// storing into a full cache first drops an arbitrary entry. The devnet
// keeps in it only values that are a pure function of their key (a
// verified signature's parse, a signing set's Lagrange weight), so an
// eviction costs a recomputation, never a different answer.
type boundedCache[K comparable, V any] struct {
	max int

	mu sync.Mutex
	m  map[K]V
}

func newBoundedCache[K comparable, V any](max int) *boundedCache[K, V] {
	return &boundedCache[K, V]{max: max, m: make(map[K]V)}
}

func (c *boundedCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

// put stores v under k and returns the value now cached: an existing
// entry wins, so concurrent computations of one key share one value.
func (c *boundedCache[K, V]) put(k K, v V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		return old
	}
	if len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = v
	return v
}

// len is the number of entries (tests).
func (c *boundedCache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
