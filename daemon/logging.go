package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/coreos/go-systemd/v22/journal"
)

// newLogger returns the daemon's logger: structured journald entries when
// stderr is connected to the journal (JOURNAL_STREAM), slog text on w
// otherwise.
func newLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	if ok, _ := journal.StderrIsJournalStream(); ok {
		return slog.New(newJournalHandler(journal.Send, level))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// journalSendFunc is the signature of journal.Send.
type journalSendFunc func(message string, priority journal.Priority, vars map[string]string) error

// journalHandler is a slog.Handler that writes each record as one journald
// entry, attributes becoming fields: "pid" -> PID, group "call" + "method"
// -> CALL_METHOD (the audit logger is told apart by its "logger" attribute, LOGGER=audit).
type journalHandler struct {
	send   journalSendFunc
	level  slog.Leveler
	attrs  []slog.Attr // already prefixed
	prefix string      // group prefix for attrs added later, "A_B_"
	mu     *sync.Mutex
}

// newJournalHandler returns a handler that writes through send (normally
// journal.Send).
func newJournalHandler(send journalSendFunc, level slog.Leveler) *journalHandler {
	if level == nil {
		level = slog.LevelInfo
	}
	return &journalHandler{send: send, level: level, mu: new(sync.Mutex)}
}

// Enabled reports whether level is logged.
func (h *journalHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// Handle sends one entry.
func (h *journalHandler) Handle(_ context.Context, r slog.Record) error {
	vars := make(map[string]string, len(h.attrs)+r.NumAttrs()+1)
	for _, a := range h.attrs {
		addJournalAttr(vars, "", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		addJournalAttr(vars, h.prefix, a)
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.send(r.Message, journalPriority(r.Level), vars)
}

// WithAttrs returns a handler that adds attrs to every entry.
func (h *journalHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		a.Key = h.prefix + a.Key
		h2.attrs = append(h2.attrs, a)
	}
	return &h2
}

// WithGroup returns a handler that prefixes later keys with name.
func (h *journalHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "_"
	return &h2
}

func addJournalAttr(vars map[string]string, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "_"
		}
		for _, g := range a.Value.Group() {
			addJournalAttr(vars, p, g)
		}
		return
	}
	vars[journalFieldName(prefix+a.Key)] = a.Value.String()
}

// journalFieldName maps a slog key to a valid journal field name:
// upper-case [A-Z0-9_], not starting with "_" (reserved for trusted fields).
func journalFieldName(k string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(k) {
		if (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), "_")
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		s = "F" + s
	}
	return s
}

func journalPriority(l slog.Level) journal.Priority {
	switch {
	case l >= slog.LevelError:
		return journal.PriErr
	case l >= slog.LevelWarn:
		return journal.PriWarning
	case l >= slog.LevelInfo:
		return journal.PriInfo
	default:
		return journal.PriDebug
	}
}

// parseLevel parses a log level name (debug, info, warn, error).
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
	}
	return l, nil
}
