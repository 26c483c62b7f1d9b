package flow

import (
	"context"
	"errors"

	"labflow/internal/domain"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// Notifications returns actor's in-app notifications, newest first. Their
// text is rendered from Kind and Args by internal/notify (notify.Text).
func (e *Engine) Notifications(ctx context.Context, actor domain.Actor, unreadOnly bool, limit int) ([]Notification, error) {
	return e.st.Notifications(ctx, actor.ID, unreadOnly, limit)
}

// MarkRead marks some of actor's notifications read.
func (e *Engine) MarkRead(ctx context.Context, actor domain.Actor, ids []int64) error {
	return e.st.MarkRead(ctx, actor.ID, ids)
}
