package notify

import (
	"context"

	"github.com/epiloguehq/epilogue"
)

// Sender sends one message on one channel. A failure is an error that Temporary and
// HardBounce classify.
type Sender interface {
	Send(ctx context.Context, m *epilogue.Message) error
}

// Router sends each message through the sender of its channel:
//
//	notify.Router{epilogue.ChannelEmail: smtp, epilogue.ChannelSMS: sms, epilogue.ChannelWebhook: hooks}
type Router map[string]Sender

// Send sends m through the sender of m.Channel. A channel with no sender is a permanent
// failure: retrying will not configure one.
func (r Router) Send(ctx context.Context, m *epilogue.Message) error {
	s, ok := r[m.Channel]
	if !ok || s == nil {
		return &Error{Channel: m.Channel, Err: epilogue.Invalid("channel", "no sender for channel %q", m.Channel)}
	}
	return s.Send(ctx, m)
}
