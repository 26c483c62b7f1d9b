//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// tryFileLock takes an exclusive flock on path (created if needed) without
// waiting: it returns the function that releases it, or nil when another
// open file (in this process or another) holds it. The kernel releases
// the lock when the holder exits, however it exits.
func tryFileLock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
