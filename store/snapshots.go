package store

import (
	"context"
	"time"
)

// Snapshots is one named model's stored versions, as a learner keeps its checkpoints.
type Snapshots struct {
	db   *DB
	name string
}

// Snapshots returns the versions of the named model.
func (db *DB) Snapshots(name string) *Snapshots { return &Snapshots{db: db, name: name} }

// Save stores a version (see SaveModel).
func (s *Snapshots) Save(ctx context.Context, version int64, blob []byte, at time.Time) error {
	return s.db.SaveModel(ctx, s.name, version, blob, at)
}

// Versions lists up to limit versions, newest first.
func (s *Snapshots) Versions(ctx context.Context, limit int) ([]int64, error) {
	ms, err := s.db.Models(ctx, s.name, limit)
	if err != nil {
		return nil, err
	}
	vs := make([]int64, len(ms))
	for i, m := range ms {
		vs[i] = m.Version
	}
	return vs, nil
}

// Load returns one version's blob.
func (s *Snapshots) Load(ctx context.Context, version int64) ([]byte, error) {
	return s.db.ModelBlob(ctx, s.name, version)
}

// Prune deletes the versions older than version.
func (s *Snapshots) Prune(ctx context.Context, version int64) error {
	_, err := s.db.exec(ctx, s.db.write, "PruneModels", s.name, version)
	return err
}
