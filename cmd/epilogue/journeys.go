package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
	"github.com/epiloguehq/epilogue/store"
)

func runJourneys(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := "usage: epilogue journeys load DIR --shop ID [--db URL] [--json]"
	if len(args) == 0 || args[0] != "load" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-h") || args[0] == "--help" {
			fmt.Fprintln(stdout, usage)
			return errHelp
		}
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown journeys command %q", args[0])
	}
	f := newFlags("journeys load", "journeys load DIR --shop ID [flags]", env, stderr)
	db := f.str("db", defaultDB, "database URL")
	shopID := f.String("shop", "", "the shop's id (required)")
	asJSON := f.Bool("json", false, "print one JSON document")
	// The directory comes first, flags after it, as the usage line shows; flags first works too.
	rest := args[1:]
	dir := ""
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		dir, rest = rest[0], rest[1:]
	}
	if err := f.parse(rest); err != nil {
		switch {
		case dir == "" && f.NArg() == 1:
			dir = f.Arg(0)
		case f.NArg() > 0:
			return fmt.Errorf("journeys load takes one directory, not also %q (see --help)", f.Arg(0))
		default:
			return err
		}
	}
	if dir == "" || *shopID == "" {
		fmt.Fprintln(stderr, usage)
		return errors.New("journeys load needs a directory and --shop")
	}
	files, err := journeyFiles(dir)
	if err != nil {
		return err
	}
	s, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Shop(ctx, *shopID); err != nil {
		return err
	}
	svc := journey.NewService(journey.Config{Store: s, Clock: epilogue.SystemClock{}, From: defaultFromAddress})
	// Every file is checked before any is saved: a directory loads whole or not at all.
	var js []*journey.Journey
	var from []string
	for _, file := range files {
		loaded, err := readJourneys(file)
		if err != nil {
			return err
		}
		for i, j := range loaded {
			if err := svc.CheckJourney(ctx, *shopID, j); err != nil {
				return fmt.Errorf("%s: %s", where(file, i, len(loaded)), fieldText(err))
			}
			js, from = append(js, j), append(from, where(file, i, len(loaded)))
		}
	}
	type line struct {
		File   string `json:"file"`
		ID     string `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"` // created or updated
	}
	var out []line
	for i, j := range js {
		created, err := svc.SaveJourney(ctx, *shopID, j)
		if err != nil {
			return fmt.Errorf("%s: %s", from[i], fieldText(err))
		}
		status := "updated"
		if created {
			status = "created"
		}
		out = append(out, line{from[i], j.ID, j.Name, status})
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"shop_id": *shopID, "journeys": out})
	}
	for _, l := range out {
		fmt.Fprintf(stdout, "%-7s %s  %s  (%s)\n", l.Status, l.ID, l.Name, l.File)
	}
	fmt.Fprintf(stdout, "%d journeys loaded into shop %s\n", len(out), *shopID)
	return nil
}

// journeyFiles lists the .json files of a directory, in name order.
func journeyFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".json") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no .json journey files", dir)
	}
	return files, nil
}

// maxJourneyFile bounds one file: a few journeys, not a data dump.
const maxJourneyFile = 1 << 20

var nonID = regexp.MustCompile(`[^a-z0-9_]+`)

// readJourneys reads a file holding one journey or an array of them. A journey without an id
// gets one from the file name ("shipped.json" → jrn_shipped, "care.json"'s second → jrn_care_2),
// so loading the same files again updates the same journeys.
func readJourneys(file string) ([]*journey.Journey, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if len(b) > maxJourneyFile {
		return nil, fmt.Errorf("%s: larger than %d KB", file, maxJourneyFile>>10)
	}
	b = bytes.TrimSpace(b)
	var js []*journey.Journey
	if len(b) > 0 && b[0] == '[' {
		err = strictJSON(b, &js)
	} else {
		var j journey.Journey
		err = strictJSON(b, &j)
		js = []*journey.Journey{&j}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	stem := nonID.ReplaceAllString(strings.ToLower(strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))), "_")
	for i, j := range js {
		if j == nil {
			return nil, fmt.Errorf("%s: journey %d is null", file, i)
		}
		if j.ID == "" {
			j.ID = epilogue.PrefixJourney + stem
			if len(js) > 1 {
				j.ID += "_" + strconv.Itoa(i+1)
			}
		}
	}
	return js, nil
}

// strictJSON decodes refusing unknown fields, and says which field is wrong.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if sub, msg, ok := epilogue.FieldMessage(te); ok {
			field := te.Field
			if sub != "" {
				field += "." + sub
			}
			return fmt.Errorf("%s: %s", field, msg)
		}
		return fmt.Errorf("%s: must be %s", te.Field, te.Type)
	}
	// A syntax error says where, as an editor counts: line and column, not a byte offset.
	var se *json.SyntaxError
	if errors.As(err, &se) {
		before := b[:min(int(se.Offset), len(b))]
		line := bytes.Count(before, []byte("\n")) + 1
		col := len(before) - bytes.LastIndexByte(before, '\n')
		return fmt.Errorf("line %d, column %d: %s", line, col-1, strings.TrimPrefix(se.Error(), "json: "))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("line %d: the JSON ends before it is complete", bytes.Count(b, []byte("\n"))+1)
	}
	return err
}

func where(file string, i, n int) string {
	if n > 1 {
		return fmt.Sprintf("%s[%d]", file, i)
	}
	return file
}

// fieldText writes an error with the field it names first.
func fieldText(err error) string {
	var e *epilogue.Error
	if errors.As(err, &e) && e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return err.Error()
}
