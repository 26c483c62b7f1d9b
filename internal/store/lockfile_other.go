//go:build !unix

package store

// tryFileLock cannot lock files on this system: several processes on one
// SQLite file are not coordinated here.
func tryFileLock(string) (func(), error) { return nil, errLockUnsupported }
