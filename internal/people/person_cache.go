package people

import (
	"context"
	"slices"

	"labflow/internal/domain"
	"labflow/internal/store"
)

// personCacheSize bounds the people kept by id and by username.
const personCacheSize = 4096

// personFull reads a person with their grants and rank (store.PersonFull)
// by id, or with id 0 by username, through the service's caches: the
// process engine resolves an assignee this way on nearly every transition.
// store.PeopleCache says when a kept person gives way (at once on this
// server to any change of a person, a grant or a rank).
func (s *Service) personFull(ctx context.Context, id int64, username string) (domain.Person, error) {
	var p domain.Person
	var ok bool
	if id != 0 {
		p, ok = s.byID.Get(id)
	} else {
		p, ok = s.byName.Get(username)
	}
	if !ok {
		stamp := s.byID.Stamp() // before the read (store.PeopleCache)
		var err error
		if p, err = store.PersonFull(ctx, s.db.R(), id, username); err != nil {
			return domain.Person{}, err
		}
		s.byID.Put(p.ID, p, stamp)
		s.byName.Put(p.Username, p, stamp)
	}
	p.Grants = slices.Clone(p.Grants)
	return p, nil
}
