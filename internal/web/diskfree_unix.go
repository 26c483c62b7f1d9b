//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package web

import "syscall"

// diskFree returns the bytes available to LabFlow on the file system of
// dir (statfs: the blocks free to unprivileged users).
func diskFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
