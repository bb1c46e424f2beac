package notify

import (
	"strconv"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Locales returns the locales the built-in templates ship in.
func Locales() []string { return []string{"en", "fr", "de", "es"} }

// NormalizeLocale returns the canonical form of a locale tag (BCP 47 case, which tags compare
// without): "fr_ca" and "FR-ca" become "fr-CA", "zh-hant-tw" becomes "zh-Hant-TW". It returns ""
// for something that is not a language[-Script][-REGION] tag (REGION two letters or a UN M.49
// area such as "419").
func NormalizeLocale(s string) string {
	parts := strings.Split(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"), "-")
	lang := parts[0]
	if len(lang) < 2 || len(lang) > 3 || !letters(lang) || len(parts) > 3 {
		return ""
	}
	out := strings.ToLower(lang)
	rest := parts[1:]
	if len(rest) > 0 && len(rest[0]) == 4 && letters(rest[0]) {
		out += "-" + strings.ToUpper(rest[0][:1]) + strings.ToLower(rest[0][1:])
		rest = rest[1:]
	}
	switch {
	case len(rest) == 0:
		return out
	case len(rest) > 1:
		return ""
	case len(rest[0]) == 2 && letters(rest[0]):
		return out + "-" + strings.ToUpper(rest[0])
	case len(rest[0]) == 3 && digitsOnly(rest[0]):
		return out + "-" + rest[0]
	}
	return ""
}

// fallbacks returns the locales to try for a locale, most specific first, always ending in
// English: fr-CA → fr → en.
func fallbacks(locale string) []string {
	l := NormalizeLocale(locale)
	var out []string
	for l != "" { // zh-Hant-TW → zh-Hant → zh
		out = append(out, l)
		i := strings.LastIndexByte(l, '-')
		if i < 0 {
			break
		}
		l = l[:i]
	}
	if len(out) == 0 || out[len(out)-1] != "en" {
		out = append(out, "en")
	}
	return out
}

// catalog returns the interface words of the layout and blocks for a locale, with English
// filling whatever the locale lacks.
func catalog(locale string) map[string]string {
	out := make(map[string]string, len(phrases["en"]))
	fb := fallbacks(locale)
	for i := len(fb) - 1; i >= 0; i-- {
		for k, v := range phrases[fb[i]] {
			out[k] = v
		}
	}
	return out
}

// phrases are the words the shared layout and blocks need; template bodies carry their own.
var phrases = map[string]map[string]string{
	"en": {
		"order": "Order", "qty": "Qty", "total": "Total", "carrier": "Carrier",
		"tracking_number": "Tracking number", "status": "Status", "estimated_delivery": "Estimated delivery",
		"track": "Track your parcel", "offers": "Picked for you", "unsubscribe": "Unsubscribe",
		"footer_note": "You are receiving this email because you placed an order with us.",
		"nps_low":     "Not likely", "nps_high": "Very likely", "view_online": "Visit the shop", "offer_cta": "Shop now", "colon": ":",
		"more_items": "more items",
	},
	"fr": {
		"order": "Commande", "qty": "Qté", "total": "Total", "carrier": "Transporteur",
		"tracking_number": "Numéro de suivi", "status": "Statut", "estimated_delivery": "Livraison estimée",
		"track": "Suivre mon colis", "offers": "Sélectionné pour vous", "unsubscribe": "Se désabonner",
		"footer_note": "Vous recevez cet e-mail parce que vous avez passé commande chez nous.",
		"nps_low":     "Peu probable", "nps_high": "Très probable", "view_online": "Visiter la boutique", "offer_cta": "Découvrir", "colon": "\u00a0:",
		"more_items": "autres articles",
	},
	"de": {
		"order": "Bestellung", "qty": "Menge", "total": "Gesamt", "carrier": "Versanddienstleister",
		"tracking_number": "Sendungsnummer", "status": "Status", "estimated_delivery": "Voraussichtliche Zustellung",
		"track": "Sendung verfolgen", "offers": "Für Sie ausgewählt", "unsubscribe": "Abmelden",
		"footer_note": "Sie erhalten diese E-Mail, weil Sie bei uns bestellt haben.",
		"nps_low":     "Unwahrscheinlich", "nps_high": "Sehr wahrscheinlich", "view_online": "Zum Shop", "offer_cta": "Entdecken", "colon": ":",
		"more_items": "weitere Artikel",
	},
	"es": {
		"order": "Pedido", "qty": "Cant.", "total": "Total", "carrier": "Transportista",
		"tracking_number": "Número de seguimiento", "status": "Estado", "estimated_delivery": "Entrega estimada",
		"track": "Seguir mi paquete", "offers": "Seleccionado para ti", "unsubscribe": "Darse de baja",
		"footer_note": "Recibes este correo porque hiciste un pedido con nosotros.",
		"nps_low":     "Poco probable", "nps_high": "Muy probable", "view_online": "Visitar la tienda", "offer_cta": "Descubrir", "colon": ":",
		"more_items": "artículos más",
	},
}

// statusNames are the shipment statuses as a customer reads them.
var statusNames = map[string]map[string]string{
	"en": {
		epilogue.ShipLabelCreated: "Label created", epilogue.ShipPickedUp: "Picked up", epilogue.ShipInTransit: "In transit",
		epilogue.ShipDelayed: "Delayed", epilogue.ShipOutForDelivery: "Out for delivery", epilogue.ShipAttemptFailed: "Delivery attempted",
		epilogue.ShipReadyForPickup: "Ready for pickup", epilogue.ShipDelivered: "Delivered", epilogue.ShipReturningToSender: "Returning to sender",
		epilogue.ShipException: "Delivery problem", epilogue.ShipExpired: "Tracking expired", epilogue.ShipCancelled: "Shipment cancelled",
		epilogue.ShipStalledFulfillment: "Being prepared", epilogue.ShipStalledTransit: "In transit",
	},
	"fr": {
		epilogue.ShipLabelCreated: "Étiquette créée", epilogue.ShipPickedUp: "Pris en charge", epilogue.ShipInTransit: "En transit",
		epilogue.ShipDelayed: "Retardé", epilogue.ShipOutForDelivery: "En cours de livraison", epilogue.ShipAttemptFailed: "Tentative de livraison",
		epilogue.ShipReadyForPickup: "Disponible en point relais", epilogue.ShipDelivered: "Livré", epilogue.ShipReturningToSender: "Retour à l’expéditeur",
		epilogue.ShipException: "Incident de livraison", epilogue.ShipExpired: "Suivi expiré", epilogue.ShipCancelled: "Envoi annulé",
		epilogue.ShipStalledFulfillment: "En préparation", epilogue.ShipStalledTransit: "En transit",
	},
	"de": {
		epilogue.ShipLabelCreated: "Versandetikett erstellt", epilogue.ShipPickedUp: "Abgeholt", epilogue.ShipInTransit: "Unterwegs",
		epilogue.ShipDelayed: "Verspätet", epilogue.ShipOutForDelivery: "In Zustellung", epilogue.ShipAttemptFailed: "Zustellversuch",
		epilogue.ShipReadyForPickup: "Abholbereit", epilogue.ShipDelivered: "Zugestellt", epilogue.ShipReturningToSender: "Rücksendung an Absender",
		epilogue.ShipException: "Zustellproblem", epilogue.ShipExpired: "Sendungsverfolgung abgelaufen", epilogue.ShipCancelled: "Sendung storniert",
		epilogue.ShipStalledFulfillment: "In Vorbereitung", epilogue.ShipStalledTransit: "Unterwegs",
	},
	"es": {
		epilogue.ShipLabelCreated: "Etiqueta creada", epilogue.ShipPickedUp: "Recogido", epilogue.ShipInTransit: "En tránsito",
		epilogue.ShipDelayed: "Retrasado", epilogue.ShipOutForDelivery: "En reparto", epilogue.ShipAttemptFailed: "Intento de entrega",
		epilogue.ShipReadyForPickup: "Listo para recoger", epilogue.ShipDelivered: "Entregado", epilogue.ShipReturningToSender: "Devuelto al remitente",
		epilogue.ShipException: "Incidencia en la entrega", epilogue.ShipExpired: "Seguimiento caducado", epilogue.ShipCancelled: "Envío cancelado",
		epilogue.ShipStalledFulfillment: "En preparación", epilogue.ShipStalledTransit: "En tránsito",
	},
}

// statusName returns a shipment status in words, falling back through the locale chain.
func statusName(locale, status string) string {
	for _, l := range fallbacks(locale) {
		if s, ok := statusNames[l][status]; ok {
			return s
		}
	}
	return strings.ReplaceAll(status, "_", " ")
}

var (
	monthNames = map[string][12]string{
		"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	}
	dayNames = map[string][7]string{
		"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		"fr": {"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
		"de": {"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
		"es": {"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
	}
)

// formatDate writes a day the way the locale's language does ("Monday, March 16",
// "lundi 16 mars", "Montag, 16. März", "lunes, 16 de marzo").
func formatDate(locale string, t time.Time) string {
	lang := language(locale)
	months, ok := monthNames[lang]
	if !ok {
		lang, months = "en", monthNames["en"]
	}
	day, month, wd := strconv.Itoa(t.Day()), months[t.Month()-1], dayNames[lang][t.Weekday()]
	switch lang {
	case "fr":
		return wd + " " + day + " " + month
	case "de":
		return wd + ", " + day + ". " + month
	case "es":
		return wd + ", " + day + " de " + month
	}
	return wd + ", " + month + " " + day
}

// language returns the first supported language in the locale's fallback chain.
func language(locale string) string {
	for _, l := range fallbacks(locale) {
		if _, ok := phrases[l]; ok {
			return l
		}
	}
	return "en"
}

// currencySymbols are the symbols customers expect; other currencies show their code.
var currencySymbols = map[string]string{
	"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$",
	"INR": "₹", "KRW": "₩", "BRL": "R$", "MXN": "MX$", "CNY": "CN¥", "ILS": "₪", "VND": "₫",
}

// formatMoney writes an amount in a currency the way the locale's language does: "$1,234.50"
// in English, "1 234,50 €" in French, "1.234,50 €" in German and Spanish.
func formatMoney(locale string, a epilogue.Amount, currency string) string {
	neg := a < 0
	if neg {
		a = -a
	}
	// As many decimals as the currency's minor unit has (none for yen, three for dinars),
	// rounded half up.
	digits := epilogue.MinorUnits(currency)
	unit := epilogue.Micro
	for range digits {
		unit /= 10
	}
	p := strconv.FormatInt(int64((a+unit/2)/unit), 10)
	for len(p) <= digits {
		p = "0" + p
	}
	whole, frac := p[:len(p)-digits], p[len(p)-digits:]
	lang := language(locale)
	group, point := ",", "."
	switch lang {
	case "fr":
		group, point = "\u202f", ","
	case "de", "es":
		group, point = ".", ","
	}
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(c)
	}
	num := b.String()
	if frac != "" {
		num += point + frac
	}
	sym, ok := currencySymbols[currency]
	var out string
	switch {
	case lang != "en":
		if !ok {
			sym = currency
		}
		out = num + "\u00a0" + sym
	case ok:
		out = sym + num
	default:
		out = currency + "\u00a0" + num
	}
	if neg {
		out = "-" + out
	}
	return out
}

func letters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
