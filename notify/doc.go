// Package notify sends the messages that journeys decide on: email over SMTP, texts through an
// HTTP provider, signed webhooks, or a local outbox file when nothing else is configured. It
// also renders the branded, localised templates those messages are made from.
//
// Every channel implements Sender, and a Router picks one by the message's channel. A failed
// send returns an error that Temporary and HardBounce classify, so the caller knows whether to
// retry (after RetryDelay), give up, or suppress the address.
//
// # Templates
//
// A Template has a subject, an HTML body and a text body, all Go templates. The HTML body is
// placed in a shared responsive layout (tables, inline styles, 600 px wide, logo, footer with
// the postal address and unsubscribe link); the text body gets a matching footer. A template
// sees:
//
//	.Brand      Name, LogoURL, PrimaryColor, AccentColor, PostalAddress, WebsiteURL…
//	.Customer   FirstName (may be empty)
//	.Order      ID, Items (Title, Quantity, Price, ImageURL, URL), Total, Currency, PlacedAt
//	.Shipment   Carrier, TrackingNumber, TrackingURL, Status, EstimatedDelivery
//	.Links      Shop, Tracking, Review, Survey, Reorder, Loyalty, Unsubscribe
//	.Offers     Title, Body, ImageURL, CTA, URL
//	.Loyalty    Points, Balance
//	.Locale, .L the locale and the layout's words in it (.L.track, .L.total…)
//
// Order, Shipment and Loyalty may be nil: guard them with {{with}}. Functions: money (amount,
// currency), date, status (a shipment status in words), withQuery (add a query parameter),
// seq, mul, textOn. Blocks, called with the root: {{template "items" $}}, "shipment",
// "offers", "nps", and {{template "button" ($.Button url label)}} (or $.AccentButton). An HTML
// body may {{define "preheader"}}, the inbox preview line. Built-in templates ship in English,
// French, German and Spanish; a locale falls back fr-CA → fr → en.
package notify
