package web

import (
	"path/filepath"
)

// DefaultMinFree is the free space below which /readyz reports the
// storage full (Deps.MinFree): enough for the writes in flight to finish
// and for the database to checkpoint.
const DefaultMinFree = 64 << 20

// storageDirs are where LabFlow writes on this machine: the data folder
// (the SQLite file, on SQLite) and the attachments under it.
func (s *Server) storageDirs() []string {
	if s.DataDir == "" {
		return nil
	}
	return []string{s.DataDir, filepath.Join(s.DataDir, "blobs")}
}

// storageFull reports whether writes cannot go on for lack of space: the
// last write failed so (until one succeeds), or a data folder has less
// than MinFree bytes free. A folder whose free space cannot be read does
// not count as full.
func (s *Server) storageFull() (bool, uint64) {
	if s.DB.StorageFull() {
		return true, 0
	}
	min := s.MinFree
	if min == 0 {
		min = DefaultMinFree
	}
	freeSpace := s.FreeSpace
	if freeSpace == nil {
		freeSpace = diskFree
	}
	for _, dir := range s.storageDirs() {
		if free, err := freeSpace(dir); err == nil && free < min {
			return true, free
		}
	}
	return false, 0
}
