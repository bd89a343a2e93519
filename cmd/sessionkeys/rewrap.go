package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sessionseal/session/mongostore"
	"github.com/sessionseal/session/serverstore"
)

var rewrapCommand = &command{
	name:    "rewrap",
	args:    "[--mongodb-uri URI] --db DB --collection COLL FILE",
	summary: "re-seal the session records in MongoDB under the primary key",
	doc: `Rewrap re-seals, under the primary key of the ring in FILE, every live session
record in the MongoDB collection COLL of database DB that another key sealed, so
that the stored records stop depending on the old key at once instead of as
their sessions are used. Run it after promote has reached every server.

It does not change the reference tokens that clients hold: servers re-sign each
under the primary key on the client's next request. Disabling the old key still
refuses the tokens not re-signed yet, as it refuses cookies the old key sealed,
so disable waits for the longest session lifetime either way.

Rewrap is resumable: it skips records already sealed under the primary key, so
running it again after an interruption (Ctrl-C stops it cleanly) or a failure
does only what is left, and a second run reports 0. A record that a concurrent
request saves meanwhile is left to that request, which seals it under the
primary key anyway. Records that no key of the ring opens are skipped and
logged. Sessions sealed entirely in cookies are not in MongoDB: servers re-seal
them as they serve them.

Progress goes to standard error as a bar, when standard error is a terminal;
the final count ("rewrapped N session records") goes to standard output.
`,
	run: runRewrap,
}

func runRewrap(e *env, c *command, args []string) error {
	flags := flag.NewFlagSet(c.name, flag.ContinueOnError)
	uri := flags.String("mongodb-uri", "", "the MongoDB connection string `URI`. Default $MONGODB_URI, which keeps\na password out of the process list and the shell history")
	db := flags.String("db", "", "the `DB` (database) of the session collection; required")
	coll := flags.String("collection", "", "the `COLL`ection of the session records; required")
	args, err := e.parse(c, flags, args, 1)
	if err != nil {
		return err
	}
	if *uri == "" {
		*uri = os.Getenv("MONGODB_URI")
	}
	switch {
	case *uri == "":
		return &usageError{cmd: c, msg: "no MongoDB server: give --mongodb-uri or set MONGODB_URI"}
	case *db == "":
		return &usageError{cmd: c, msg: "--db is required"}
	case *coll == "":
		return &usageError{cmd: c, msg: "--collection is required"}
	}
	keys, err := load(args[0])
	if err != nil {
		return err
	}

	// An interrupt cancels the context: Rewrap stops between records, and
	// a second run resumes.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	client, err := mongo.Connect(options.Client().ApplyURI(*uri).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		// The driver's message may quote the URI, password included.
		return errors.New("invalid --mongodb-uri: not a MongoDB connection string")
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client.Disconnect(dctx)
	}()
	if err := client.Ping(ctx, nil); err != nil {
		return fmt.Errorf("cannot reach MongoDB: %v", err)
	}
	// New creates the store's indexes, and with them the collection: make
	// sure a mistyped name is an error rather than an empty collection.
	names, err := client.Database(*db).ListCollectionNames(ctx, bson.D{{Key: "name", Value: *coll}})
	if err != nil {
		return fmt.Errorf("listing the collections of %s: %v", *db, err)
	}
	if len(names) == 0 {
		return fmt.Errorf("database %s has no collection %s: check --db and --collection", strconv.Quote(*db), strconv.Quote(*coll))
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := mongostore.New(ctx, client.Database(*db).Collection(*coll))
	if err != nil {
		return err
	}
	store, err := serverstore.New(keys, b, serverstore.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer store.Close()

	bar := newProgress(e.stderr, e.now)
	n, err := store.Rewrap(ctx, bar.update)
	bar.finish()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted after rewrapping %d session records: run rewrap again to resume", n)
		}
		return fmt.Errorf("stopped after rewrapping %d session records: %w; run rewrap again to resume", n, err)
	}
	fmt.Fprintf(e.stdout, "rewrapped %d session records\n", n)
	return nil
}

// progress draws a progress bar on one terminal line, redrawn with \r, at
// most every redrawInterval. It draws nothing when its writer is not a
// terminal, where \r would only clutter a log.
type progress struct {
	w   io.Writer // nil: draw nothing
	now func() time.Time

	mu    sync.Mutex
	last  time.Time
	drawn bool
}

const (
	barWidth       = 30
	redrawInterval = 100 * time.Millisecond
)

func newProgress(w io.Writer, now func() time.Time) *progress {
	if !isTerminal(w) {
		w = nil
	}
	return &progress{w: w, now: now}
}

func (p *progress) update(done, total int64) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.drawn && done < total && now.Sub(p.last) < redrawInterval {
		return
	}
	p.last, p.drawn = now, true
	fmt.Fprintf(p.w, "\r%s", bar(done, total, barWidth))
}

// finish ends the bar's line, so that what follows starts on its own.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

// bar renders done out of total as "[=========>          ] 120/256".
func bar(done, total int64, width int) string {
	// Records created during the run can take done past the count made
	// at the start.
	fill := width
	if done < total {
		fill = int(done * int64(width) / total)
	}
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(strings.Repeat("=", fill))
	if fill < width {
		b.WriteByte('>')
		b.WriteString(strings.Repeat(" ", width-fill-1))
	}
	fmt.Fprintf(&b, "] %d/%d", done, total)
	return b.String()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
