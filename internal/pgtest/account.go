package pgtest

import (
	"errors"
	"os"
	"os/user"
	"strconv"
)

// account is a user the server runs as.
type account struct{ uid, gid uint32 }

// serverAccount returns the account to run initdb and postgres as: nil,
// the current user, unless that is root, which both refuse; then the
// account postgres, which Debian's package creates, or else nobody.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if !canSwitchUser {
		return nil, errors.New("pgtest: postgres refuses to run as root; run the tests as another user, or set DATABASE_URL")
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &account{uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, errors.New("pgtest: postgres refuses to run as root, and there is no account postgres or nobody " +
		"to run it as; run the tests as another user, or set DATABASE_URL")
}
