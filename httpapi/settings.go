package httpapi

import (
	"net/http"

	"github.com/epiloguehq/epilogue"
)

// settingsView is the settings as the API shows them: webhook secrets are never read back,
// only whether they are set.
type settingsView struct {
	epilogue.Settings
	ShopifySecretSet  bool `json:"shopify_webhook_secret_set"`
	EasypostSecretSet bool `json:"easypost_webhook_secret_set"`
}

func viewSettings(st epilogue.Settings) settingsView {
	v := settingsView{Settings: st, ShopifySecretSet: st.ShopifyWebhookSecret != "", EasypostSecretSet: st.EasypostWebhookSecret != ""}
	v.ShopifyWebhookSecret, v.EasypostWebhookSecret = "", ""
	return v
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	shop, err := s.store.Shop(r.Context(), shopID(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewSettings(shop.Settings))
}

// updateSettings applies a partial update of the shop's settings.
func (s *Server) updateSettings(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.store.UpdateSettings(r.Context(), shopID(r), func(st *epilogue.Settings) error {
		if err := unmarshalPatch(body, st); err != nil {
			return err
		}
		if st.AllowedOrigins == nil {
			st.AllowedOrigins = []string{}
		}
		return st.Validate()
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reload(r)
	writeJSON(w, http.StatusOK, viewSettings(st))
}
