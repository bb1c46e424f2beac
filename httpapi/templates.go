package httpapi

import (
	"net/http"

	"github.com/epiloguehq/epilogue/journey"
	"github.com/epiloguehq/epilogue/notify"
)

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) {
	ts, err := s.journeys.Templates(r.Context(), shopID(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": ts})
}

// putTemplate stores the shop's version of a template in one locale. It must render with
// sample data, or it is refused now, naming the part and line at fault.
func (s *Server) putTemplate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Locale  string `json:"locale"`
		Subject string `json:"subject"`
		HTML    string `json:"html"`
		Text    string `json:"text"`
	}
	if err := decode(w, r, &in, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Locale == "" {
		in.Locale = "en"
	}
	t := notify.Template{ID: r.PathValue("id"), Locale: in.Locale, Subject: in.Subject, HTML: in.HTML, Text: in.Text}
	if err := s.journeys.SaveTemplate(r.Context(), shopID(r), t); err != nil {
		s.fail(w, r, err)
		return
	}
	t.Locale = notify.NormalizeLocale(t.Locale)
	writeJSON(w, http.StatusOK, journey.TemplateView{Template: t, Source: "custom"})
}

// previewTemplate renders a template (or a draft) with the shop's brand and sample data, or
// the data given. The body is optional.
func (s *Server) previewTemplate(w http.ResponseWriter, r *http.Request) {
	var p journey.PreviewRequest
	if r.ContentLength != 0 {
		body, err := readBody(w, r)
		if err == nil {
			err = unmarshal(body, &p, true)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	out, err := s.journeys.Preview(r.Context(), shopID(r), r.PathValue("id"), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getBrand(w http.ResponseWriter, r *http.Request) {
	b, err := s.journeys.Brand(r.Context(), shopID(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// updateBrand applies a partial update of the shop's brand.
func (s *Server) updateBrand(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.journeys.UpdateBrand(r.Context(), shopID(r), func(b *notify.Brand) error {
		return unmarshalPatch(body, b)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}
