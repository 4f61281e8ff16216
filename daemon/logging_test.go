package daemon

import (
	"log/slog"
	"maps"
	"testing"

	"github.com/coreos/go-systemd/v22/journal"
)

type journalEntry struct {
	msg  string
	prio journal.Priority
	vars map[string]string
}

func TestJournalHandler(t *testing.T) {
	var got []journalEntry
	send := func(m string, p journal.Priority, v map[string]string) error {
		got = append(got, journalEntry{m, p, maps.Clone(v)})
		return nil
	}
	log := slog.New(newJournalHandler(send, slog.LevelInfo))
	log.Debug("hidden")
	log.With("logger", "audit").WithGroup("call").Warn("done", "method", "lit_executeJs", "caller.pid", 42, slog.Group("g", "x", 1))
	log.Error("boom", "_secret", "v", "9lives", 1)

	want := []journalEntry{
		{"done", journal.PriWarning, map[string]string{"LOGGER": "audit", "CALL_METHOD": "lit_executeJs", "CALL_CALLER_PID": "42", "CALL_G_X": "1"}},
		{"boom", journal.PriErr, map[string]string{"SECRET": "v", "F9LIVES": "1"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].msg != want[i].msg || got[i].prio != want[i].prio || !maps.Equal(got[i].vars, want[i].vars) {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
