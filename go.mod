module github.com/sessionseal/session

go 1.26
