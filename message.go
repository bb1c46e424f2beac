package epilogue

import "time"

// Channels a message goes out on.
const (
	ChannelEmail   = "email"
	ChannelSMS     = "sms"
	ChannelWebhook = "webhook"
)

// Message is one outbound email, text or webhook in the outbox. Its idempotency key (one per
// enrollment and step) makes a retried send the same message, never a second one.
type Message struct {
	ID             string            `json:"id"` // msg_…
	ShopID         string            `json:"-"`
	IdempotencyKey string            `json:"idempotency_key"`
	Channel        string            `json:"channel"`
	To             string            `json:"to"` // email address, E.164 phone number or webhook URL
	From           string            `json:"from,omitempty"`
	FromName       string            `json:"from_name,omitempty"`
	ReplyTo        string            `json:"reply_to,omitempty"`
	Subject        string            `json:"subject,omitempty"`
	HTML           string            `json:"html,omitempty"`
	Text           string            `json:"text,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	// Transactional messages (order and shipping updates) are exempt from the attention budget
	// and quiet hours; their unsubscribe link stops marketing only.
	Transactional  bool       `json:"transactional"`
	UnsubscribeURL string     `json:"unsubscribe_url,omitempty"`
	OrderID        string     `json:"order_id,omitempty"`
	CustomerID     string     `json:"customer_id,omitempty"`
	Status         string     `json:"status"` // queued, deferred, sent, failed, expired, skipped, suppressed
	Reason         string     `json:"reason,omitempty"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  time.Time  `json:"next_attempt_at"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}
