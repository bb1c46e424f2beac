package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

func runShop(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		usage := "usage: epilogue shop create --name NAME [--db URL] [--currency USD] [--timezone UTC] [--json]"
		if len(args) == 0 || strings.HasPrefix(args[0], "-h") || args[0] == "--help" {
			fmt.Fprintln(stdout, usage)
			return errHelp
		}
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown shop command %q", args[0])
	}
	f := newFlags("shop create", "shop create --name NAME [flags]", env, stderr)
	db := f.str("db", defaultDB, "database URL (created and migrated if needed)")
	name := f.String("name", "", "the shop's name (required)")
	currency := f.String("currency", "USD", "the shop's ISO 4217 currency")
	tz := f.String("timezone", "UTC", "the shop's IANA time zone (daily budgets reset at its midnight)")
	asJSON := f.Bool("json", false, "print one JSON document: shop_id, publishable_key, secret_key")
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	if err := epilogue.ValidateShopName(*name); err != nil {
		return fmt.Errorf("--name %s", err.(*epilogue.Error).Message)
	}
	st := epilogue.DefaultSettings()
	st.Currency, st.Timezone = *currency, *tz
	if err := st.Validate(); err != nil {
		return fmt.Errorf("--%s: %s", strings.ReplaceAll(err.(*epilogue.Error).Field, "_", "-"), err.(*epilogue.Error).Message)
	}
	s, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	shop, pk, sk, err := createShop(ctx, s, strings.TrimSpace(*name), st, time.Now())
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]string{"shop_id": shop.ID, "publishable_key": pk, "secret_key": sk})
	}
	fmt.Fprintf(stdout, "shop %s (%s) created\npublishable key: %s\nsecret key:      %s\nKeep the secret key safe: it is shown only now.\n", shop.ID, shop.Name, pk, sk)
	return nil
}

// createShop makes a shop with one publishable and one secret key, returning the plain keys.
func createShop(ctx context.Context, s *store.DB, name string, st epilogue.Settings, now time.Time) (*epilogue.Shop, string, string, error) {
	shop := &epilogue.Shop{ID: epilogue.NewID(epilogue.PrefixShop), Name: name, Secret: epilogue.RandomString(40), Settings: st, CreatedAt: now.UTC()}
	pub, pk := epilogue.NewKey(shop.ID, epilogue.KeyPublishable, now.UTC())
	sec, sk := epilogue.NewKey(shop.ID, epilogue.KeySecret, now.UTC())
	if err := s.CreateShop(ctx, shop, pub, sec); err != nil {
		return nil, "", "", err
	}
	return shop, pk, sk, nil
}

func runKey(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := "usage: epilogue key create --shop ID [--kind secret|publishable] [--db URL] [--json]\n       epilogue key revoke --shop ID --id KEY_ID [--db URL]\n       epilogue key list --shop ID [--db URL] [--json]"
	if len(args) == 0 || (args[0] != "create" && args[0] != "revoke" && args[0] != "list") {
		if len(args) == 0 || strings.HasPrefix(args[0], "-h") || args[0] == "--help" {
			fmt.Fprintln(stdout, usage)
			return errHelp
		}
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown key command %q", args[0])
	}
	f := newFlags("key "+args[0], strings.TrimPrefix(usage, "usage: epilogue "), env, stderr) // newFlags writes the prefix
	db := f.str("db", defaultDB, "database URL")
	shopID := f.String("shop", "", "the shop's id (required)")
	kind := f.String("kind", epilogue.KeySecret, "create: secret or publishable")
	keyID := f.String("id", "", "revoke: the key's id (key_…)")
	asJSON := f.Bool("json", false, "print one JSON document")
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	if *shopID == "" {
		return fmt.Errorf("--shop is required")
	}
	s, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Shop(ctx, *shopID); err != nil {
		return err
	}
	now := time.Now().UTC()
	switch args[0] {
	case "create":
		if *kind != epilogue.KeySecret && *kind != epilogue.KeyPublishable {
			return fmt.Errorf("--kind must be secret or publishable, not %q", *kind)
		}
		k, plain := epilogue.NewKey(*shopID, *kind, now)
		if err := s.CreateKey(ctx, k); err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(map[string]string{"key_id": k.ID, "kind": k.Kind, "key": plain})
		}
		fmt.Fprintf(stdout, "%s key %s: %s\n", k.Kind, k.ID, plain)
	case "revoke":
		if *keyID == "" {
			return fmt.Errorf("--id is required")
		}
		if err := s.RevokeKey(ctx, *shopID, *keyID, now); err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(map[string]any{"key_id": *keyID, "revoked": true})
		}
		fmt.Fprintf(stdout, "key %s revoked (running servers stop accepting it within a minute)\n", *keyID)
	case "list":
		keys, err := s.Keys(ctx, *shopID)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(map[string]any{"data": keys})
		}
		for _, k := range keys {
			state := "active"
			if k.RevokedAt != nil {
				state = "revoked " + k.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%s  %-11s  %s…  %s\n", k.ID, k.Kind, k.Hint, state)
		}
	}
	return nil
}
