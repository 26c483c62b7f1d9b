package projects

import (
	"context"
	"time"

	"labflow/internal/domain"
)

// PlanSignature is a signature on a plan revision's signing, as the
// printed plan shows it.
type PlanSignature struct {
	SignerName  string    `json:"signer_name"`
	Meaning     string    `json:"meaning"`
	SignedAt    time.Time `json:"signed_at"`
	ContentHash string    `json:"content_hash"`
}

// PlanSignatures returns revision rev of the node plan of project code
// with the signatures on its signing, oldest first, for whoever may see
// the revision (Plan decides): the printed plan shows who signed it.
func (s *Service) PlanSignatures(ctx context.Context, actor domain.Actor, code string, rev int) (PlanView, []PlanSignature, error) {
	const op = "projects.PlanSignatures"
	v, err := s.Plan(ctx, actor, code, rev)
	if err != nil {
		return v, nil, err
	}
	out := []PlanSignature{}
	if v.Revision.InstanceID == 0 {
		return v, out, nil
	}
	sigs, err := s.db.Flow().Signatures(ctx, v.Revision.InstanceID)
	if err != nil {
		return v, nil, domain.Wrap(op, err)
	}
	for _, g := range sigs {
		out = append(out, PlanSignature{SignerName: g.SignerName, Meaning: string(g.Meaning), SignedAt: g.SignedAt, ContentHash: g.ContentHash})
	}
	return v, out, nil
}
