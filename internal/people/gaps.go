package people

import (
	"context"
	"sort"

	"labflow/internal/domain"
	"labflow/internal/store"
)

// Gap is something the organisation lacks for its processes: a role a
// definition names that nobody holds (Kind "role_unheld"), a committee
// without members ("committee_empty") or without a chair
// ("committee_no_chair"). The server logs each at start and the
// administrator's page lists them (issue 8 §4).
type Gap struct {
	Kind        string   `json:"kind"`
	Key         string   `json:"key"`
	NameZH      string   `json:"name_zh"`
	NameEN      string   `json:"name_en"`
	Definitions []string `json:"definitions,omitempty"` // the definitions that name it
}

// Gaps returns what the organisation lacks: of roles (each with the
// definitions naming it), those nobody active holds; of the active
// committees, those without members or a chair (with the definitions in
// committees naming each).
func (s *Service) Gaps(ctx context.Context, roles, committees map[string][]string) ([]Gap, error) {
	const op = "people.Gaps"
	var out []Gap
	keys := make([]string, 0, len(roles))
	for k := range roles {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == string(domain.RoleSysAdmin) {
			continue
		}
		n, err := store.RoleHolderCount(ctx, s.db.R(), k)
		if err != nil {
			return nil, domain.Wrap(op, err)
		}
		if n == 0 {
			out = append(out, Gap{Kind: "role_unheld", Key: k, NameZH: s.RoleName("zh", domain.Role(k)), NameEN: s.RoleName("en", domain.Role(k)),
				Definitions: roles[k]})
		}
	}
	cs, err := s.Committees(ctx, false)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		g := Gap{Key: c.Key, NameZH: c.NameZH, NameEN: c.NameEN, Definitions: committees[c.Key]}
		if len(c.Members) == 0 {
			g.Kind = "committee_empty"
		} else if _, ok := c.Chair(); !ok {
			g.Kind = "committee_no_chair"
		} else {
			continue
		}
		out = append(out, g)
	}
	return out, nil
}
