package devnet

import "testing"

// TestBoundedCache: a cache never holds more than its bound, and the first
// value stored under a key stays (put returns it).
func TestBoundedCache(t *testing.T) {
	tests := []struct {
		name string
		max  int
		puts int
		want int
	}{
		{"below the bound", 4, 3, 3},
		{"at the bound", 4, 4, 4},
		{"past the bound", 4, 10, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newBoundedCache[int, string](tt.max)
			for i := range tt.puts {
				if got := c.put(i, "a"); got != "a" {
					t.Fatalf("put(%d) = %q", i, got)
				}
			}
			if c.len() != tt.want {
				t.Fatalf("%d entries, want %d", c.len(), tt.want)
			}
			last := tt.puts - 1
			if got := c.put(last, "b"); got != "a" {
				t.Fatalf("second put = %q, want the first value", got)
			}
			if v, ok := c.get(last); !ok || v != "a" {
				t.Fatalf("get = %q, %v", v, ok)
			}
		})
	}
}
