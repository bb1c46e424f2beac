package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue/connect/shopify"
	"github.com/epiloguehq/epilogue/internal/loadgen"
)

// measureWebhooks posts signed Shopify webhooks to a running server at base for d from workers
// closed loops, and returns how many per second were accepted. The shop must have secret as its
// shopify_webhook_secret. The mix is what a store sends per order: orders/create, then
// fulfillments/create and two fulfillment_events/create (in_transit, delivered), for a new
// order each time; with many workers they arrive out of order, as real webhooks do. Any failed
// webhook is an error (with the rate still reported).
func measureWebhooks(ctx context.Context, base string, shopID, secret string, d time.Duration, workers int) (perSec float64, err error) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: workers, MaxIdleConnsPerHost: workers, IdleConnTimeout: time.Minute,
	}}
	defer client.CloseIdleConnections()
	url := base + "/webhooks/shopify/" + shopID
	// Order ids unique to this run, so repeated runs on one database create new orders.
	first := time.Now().UnixMilli() % 1_000_000_000 * 1_000_000
	res := loadgen.Saturate(ctx, d, workers, func(i int) error {
		topic, body := webhookBody(first+int64(i/4), i%4)
		req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Shopify-Topic", topic)
		req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(body, secret))
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: status %d: %s", topic, resp.StatusCode, bytes.TrimSpace(b))
		}
		return nil
	})
	if res.Requests == 0 {
		return 0, fmt.Errorf("no webhook was sent in %v", d)
	}
	if res.Errors > 0 && ctx.Err() == nil {
		return res.Throughput, fmt.Errorf("%d of %d webhooks failed; first: %s", res.Errors, res.Requests, res.FirstError)
	}
	return res.Throughput, nil
}

// webhookBody returns the topic and body of step (0 to 3) of order n's webhooks, shaped like
// Shopify's (the fields Epilogue reads, and the bulk it skips).
func webhookBody(n int64, step int) (string, []byte) {
	id := strconv.FormatInt(n, 10)
	customer := strconv.FormatInt(n%50_000, 10) // returning customers
	switch step {
	case 0:
		return shopify.TopicOrdersCreate, fmt.Appendf(nil, benchOrder, id, customer, customer, customer, n%7, n%13)
	case 1:
		return shopify.TopicFulfillmentsCreate, fmt.Appendf(nil, benchFulfillment, id, id, id, id, id, id)
	case 2:
		return shopify.TopicFulfillmentEventCreate, fmt.Appendf(nil, benchScan, n*10+1, id, id, "in_transit", "2025-03-15T08:30:00-04:00")
	}
	return shopify.TopicFulfillmentEventCreate, fmt.Appendf(nil, benchScan, n*10+2, id, id, "delivered", "2025-03-17T14:05:00-04:00")
}

const benchOrder = `{"id":%[1]s,"admin_graphql_api_id":"gid://shopify/Order/%[1]s","app_id":580111,"browser_ip":"203.0.113.7",
"buyer_accepts_marketing":false,"cancel_reason":null,"cancelled_at":null,"cart_token":"c1-%[1]s","checkout_id":%[1]s,
"checkout_token":"t-%[1]s","confirmed":true,"contact_email":"customer%[2]s@example.com","created_at":"2025-03-14T11:09:26-04:00",
"currency":"USD","current_subtotal_price":"548.00","current_total_price":"578.94","customer_locale":"en-US",
"email":"customer%[2]s@example.com","financial_status":"paid","fulfillment_status":null,"landing_site":"/products/espresso",
"name":"#%[1]s","note":null,"note_attributes":[{"name":"gift","value":"no"}],"number":1,"order_number":%[1]s,
"order_status_url":"https://shop.example/orders/%[1]s/authenticate","payment_gateway_names":["shopify_payments"],
"phone":null,"presentment_currency":"USD","processed_at":"2025-03-14T11:09:26-04:00","source_name":"web",
"subtotal_price":"548.00","tags":"","taxes_included":false,"test":false,"total_discounts":"0.00",
"total_line_items_price":"548.00","total_price":"578.94","total_tax":"30.94","total_weight":5200,
"updated_at":"2025-03-14T11:09:27-04:00","user_id":null,
"discount_codes":[],"tax_lines":[{"price":"30.94","rate":0.06,"title":"State Tax"}],
"line_items":[{"id":1%[1]s,"admin_graphql_api_id":"gid://shopify/LineItem/1%[1]s","fulfillable_quantity":1,
"fulfillment_service":"manual","fulfillment_status":null,"gift_card":false,"grams":5000,"name":"Espresso machine - Black",
"price":"499.00","product_exists":true,"product_id":63291039%[5]d,"properties":[],"quantity":1,"requires_shipping":true,
"sku":"ESP-%[5]d-BLK","taxable":true,"title":"Espresso machine","total_discount":"0.00","variant_id":3907285%[5]d,
"variant_title":"Black","vendor":"Brew Co","tax_lines":[{"price":"29.94","rate":0.06,"title":"State Tax"}]},
{"id":2%[1]s,"admin_graphql_api_id":"gid://shopify/LineItem/2%[1]s","fulfillable_quantity":1,"fulfillment_service":"manual",
"fulfillment_status":null,"gift_card":false,"grams":200,"name":"Coffee beans 250g","price":"49.00","product_exists":true,
"product_id":7100%[6]d,"properties":[],"quantity":1,"requires_shipping":true,"sku":"BEANS-%[6]d","taxable":true,
"title":"Coffee beans 250g","total_discount":"0.00","variant_id":8100%[6]d,"variant_title":null,"vendor":"Roastery",
"tax_lines":[{"price":"1.00","rate":0.06,"title":"State Tax"}]}],
"shipping_lines":[{"code":"Standard","price":"0.00","source":"shopify","title":"Standard Shipping"}],
"billing_address":{"first_name":"Ana","last_name":"Customer","address1":"1 Main St","city":"Louisville","province":"Kentucky",
"country":"United States","zip":"40202","phone":"555-625-1199","country_code":"US","province_code":"KY"},
"shipping_address":{"first_name":"Ana","last_name":"Customer","address1":"1 Main St","city":"Louisville","province":"Kentucky",
"country":"United States","zip":"40202","phone":"555-625-1199","country_code":"US","province_code":"KY"},
"customer":{"id":%[3]s,"email":"customer%[4]s@example.com","accepts_marketing":false,"created_at":"2024-01-22T15:58:27-05:00",
"updated_at":"2025-03-14T11:09:27-04:00","first_name":"Ana","last_name":"Customer","orders_count":3,"state":"enabled",
"total_spent":"1200.00","verified_email":true,"tags":"","currency":"USD","phone":null},
"fulfillments":[],"refunds":[]}`

const benchFulfillment = `{"id":%[1]s,"order_id":%[2]s,"admin_graphql_api_id":"gid://shopify/Fulfillment/%[3]s","created_at":"2025-03-15T08:00:00-04:00",
"location_id":905684977,"name":"#%[4]s.1","service":"manual","shipment_status":null,"status":"success","tracking_company":"UPS",
"tracking_number":"1Z%[5]s","tracking_numbers":["1Z%[5]s"],"tracking_url":"https://www.ups.com/track?tracknum=1Z%[6]s",
"tracking_urls":["https://www.ups.com/track?tracknum=1Z%[6]s"],"updated_at":"2025-03-15T08:00:00-04:00","line_items":[]}`

const benchScan = `{"id":%d,"fulfillment_id":%s,"order_id":%s,"status":"%s","message":null,"happened_at":"%s",
"city":"Louisville","province":"Kentucky","country":"United States","zip":"40202","address1":null,"latitude":null,"longitude":null,
"shop_id":49144037539,"created_at":"2025-03-15T08:31:00-04:00","updated_at":"2025-03-15T08:31:00-04:00","estimated_delivery_at":null}`
