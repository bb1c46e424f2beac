package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
	"github.com/epiloguehq/epilogue/notify"
)

// JourneyStore is what the journey, messaging, brand, template, loyalty, suppression, timeline
// and page endpoints use; *journey.Service implements it.
type JourneyStore interface {
	CreateJourney(ctx context.Context, shopID string, j *journey.Journey) error
	UpdateJourney(ctx context.Context, shopID, id string, patch func(*journey.Journey) error) (*journey.Journey, error)
	Journey(ctx context.Context, shopID, id string) (*journey.Journey, error)
	Journeys(ctx context.Context, shopID string, f epilogue.ListFilter) ([]*journey.Journey, string, error)

	Settings(ctx context.Context, shopID string) (journey.SettingsView, error)
	UpdateSettings(ctx context.Context, shopID string, patch func(*journey.Settings) error) (journey.SettingsView, error)
	Brand(ctx context.Context, shopID string) (journey.BrandView, error)
	UpdateBrand(ctx context.Context, shopID string, patch func(*notify.Brand) error) (journey.BrandView, error)
	Templates(ctx context.Context, shopID string) ([]journey.TemplateView, error)
	SaveTemplate(ctx context.Context, shopID string, t notify.Template) error
	Preview(ctx context.Context, shopID, id string, p journey.PreviewRequest) (journey.Preview, error)

	Loyalty(ctx context.Context, shopID, customerID string) (journey.LoyaltyView, error)
	Suppress(ctx context.Context, shopID, channel, address, reason string) (*journey.Suppression, error)
	Suppressions(ctx context.Context, shopID string, f epilogue.ListFilter) ([]*journey.Suppression, string, error)
	Timeline(ctx context.Context, shopID, orderID string) (*journey.Timeline, error)

	OpenLink(ctx context.Context, token, kind string) (*journey.Page, error)
	Unsubscribe(ctx context.Context, token string) (*journey.Page, error)
	SubmitFeedback(ctx context.Context, token, kind string, score int, comment string) (*journey.Page, bool, error)
}

// withJourneys answers 503 when the server runs without journeys.
func (s *Server) withJourneys(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.journeys == nil {
			s.fail(w, r, epilogue.Errorf(epilogue.EUnavailable, "journeys are not enabled on this server"))
			return
		}
		h(w, r)
	}
}

func (s *Server) createJourney(w http.ResponseWriter, r *http.Request) {
	var j journey.Journey
	if err := decode(w, r, &j, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if j.ID != "" {
		s.fail(w, r, epilogue.Invalid("id", "is assigned by Epilogue; leave it out"))
		return
	}
	if err := s.journeys.CreateJourney(r.Context(), shopID(r), &j); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, &j)
}

func (s *Server) getJourney(w http.ResponseWriter, r *http.Request) {
	j, err := s.journeys.Journey(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) listJourneys(w http.ResponseWriter, r *http.Request) {
	f, err := listFilter(r)
	if err == nil && f.Kind != "" {
		err = epilogue.Invalid("kind", "journeys have no kind; filter by status")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	js, next, err := s.journeys.Journeys(r.Context(), shopID(r), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page(r, js, next))
}

// updateJourney applies a partial update: fields left out keep their value; steps and exit,
// when given, replace the old ones whole.
func (s *Server) updateJourney(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(body, &top) // a body that is not an object fails in unmarshalPatch
	j, err := s.journeys.UpdateJourney(r.Context(), shopID(r), r.PathValue("id"), func(j *journey.Journey) error {
		// encoding/json decodes an array into the elements already there without zeroing
		// them, so new steps would keep whatever old steps set that they leave out.
		if _, ok := top["steps"]; ok {
			j.Steps = nil
		}
		return unmarshalPatch(body, j)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) getMessaging(w http.ResponseWriter, r *http.Request) {
	v, err := s.journeys.Settings(r.Context(), shopID(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) updateMessaging(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.journeys.UpdateSettings(r.Context(), shopID(r), func(st *journey.Settings) error {
		return unmarshalPatch(body, st)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) getLoyalty(w http.ResponseWriter, r *http.Request) {
	v, err := s.journeys.Loyalty(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) getTimeline(w http.ResponseWriter, r *http.Request) {
	t, err := s.journeys.Timeline(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request) {
	f, err := listFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, next, err := s.journeys.Suppressions(r.Context(), shopID(r), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page(r, list, next))
}

// createSuppression stops messages to an address: a complaint or bounce the shop heard of
// elsewhere, an unsubscribe, or a manual block.
func (s *Server) createSuppression(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Channel string `json:"channel"`
		Address string `json:"address"`
		Reason  string `json:"reason"`
	}
	if err := decode(w, r, &in, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Channel == "" {
		in.Channel = epilogue.ChannelEmail
	}
	sup, err := s.journeys.Suppress(r.Context(), shopID(r), in.Channel, in.Address, in.Reason)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sup)
}
