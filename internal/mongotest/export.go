package mongotest

import "errors"

// Process is a devmongo server run as a child process, for programs other
// than tests that need a real server they can crash and restart, such as
// the fault harness in bench/faultload.
type Process struct{ p *process }

// StartProcess builds devmongo (once per change of its sources; see the package
// documentation) and starts it on a free loopback port with a new data
// directory. It returns the server and its MongoDB URI, which Restart keeps.
func StartProcess() (*Process, string, error) {
	p, uri, err := startDevmongo("")
	if err != nil {
		return nil, "", err
	}
	return &Process{p}, uri, nil
}

// StartPostgreSQLProcess is StartProcess with the data in the PostgreSQL
// database that postgresqlURL names (devmongo's -postgresql-url, which
// other users of the machine can read: use a URL without a password)
// instead of SQLite files. Close leaves the data there.
func StartPostgreSQLProcess(postgresqlURL string) (*Process, string, error) {
	if postgresqlURL == "" {
		return nil, "", errors.New("mongotest: empty PostgreSQL URL")
	}
	p, uri, err := startDevmongo(postgresqlURL)
	if err != nil {
		return nil, "", err
	}
	return &Process{p}, uri, nil
}

// Kill ends the server at once with SIGKILL, as a crash would: requests in
// flight die with it, and nothing it had not yet written reaches its data.
func (p *Process) Kill() error { return p.p.kill() }

// Restart starts the server again on the same address and data.
func (p *Process) Restart() error { return p.p.restart() }

// Close stops the server, if it runs, and removes its data directory.
func (p *Process) Close() error { return p.p.close() }
