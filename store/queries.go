package store

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
)

// queryFiles holds every query, written once with ? placeholders in queries/*.sql. A block of the
// same name in queries/<dialect>/*.sql replaces it where the syntax really differs; a block found
// only there exists only in that dialect (PostgreSQL's advisory locks).
//
//go:embed queries
var queryFiles embed.FS

// queries are the named SQL blocks of one dialect, ready to run.
type queries struct {
	dialect string
	raw     map[string]string // with ? placeholders, for rows() to expand
	ready   map[string]string // rewritten for the dialect
	rowsMu  sync.Mutex
	rowsSQL map[rowsKey]string
}

type rowsKey struct {
	name string
	n    int
}

// loadQueries reads the shared query files, then the dialect's overrides.
func loadQueries(dialect string) (*queries, error) {
	q := &queries{dialect: dialect, raw: map[string]string{}, ready: map[string]string{}, rowsSQL: map[rowsKey]string{}}
	shared, err := readBlocks("queries", false)
	if err != nil {
		return nil, err
	}
	override, err := readBlocks("queries/"+dialect, true)
	if err != nil {
		return nil, err
	}
	for name, sql := range shared {
		q.raw[name] = sql
	}
	for name, sql := range override {
		q.raw[name] = sql
	}
	for name, sql := range q.raw {
		q.ready[name] = q.rewrite(sql)
	}
	return q, nil
}

// readBlocks parses every .sql file directly in dir into its named blocks. Names are unique across
// the files of one directory, so a typo cannot silently shadow another query.
func readBlocks(dir string, optional bool) (map[string]string, error) {
	entries, err := fs.ReadDir(queryFiles, dir)
	if err != nil {
		if optional {
			return nil, nil
		}
		return nil, fmt.Errorf("store: read queries: %w", err)
	}
	blocks := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		file := path.Join(dir, e.Name())
		b, err := queryFiles.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("store: read %s: %w", file, err)
		}
		if err := parseBlocks(file, string(b), blocks); err != nil {
			return nil, err
		}
	}
	return blocks, nil
}

// parseBlocks splits text at "-- name: X" lines; comment lines inside a block are dropped so the
// SQL sent stays short.
func parseBlocks(file, text string, into map[string]string) error {
	var name string
	var body []string
	flush := func() error {
		if name == "" {
			return nil
		}
		sql := strings.TrimSpace(strings.Join(body, "\n"))
		if sql == "" {
			return fmt.Errorf("store: %s: query %s is empty", file, name)
		}
		if _, dup := into[name]; dup {
			return fmt.Errorf("store: %s: query %s is defined twice", file, name)
		}
		into[name] = strings.TrimSuffix(sql, ";")
		return nil
	}
	for line := range strings.Lines(text) {
		t := strings.TrimSpace(line)
		if n, ok := strings.CutPrefix(t, "-- name:"); ok {
			if err := flush(); err != nil {
				return err
			}
			name, body = strings.TrimSpace(n), nil
			continue
		}
		if strings.HasPrefix(t, "--") || t == "" {
			continue
		}
		if name == "" {
			return fmt.Errorf("store: %s: SQL before the first -- name: line", file)
		}
		body = append(body, strings.TrimRight(line, "\r\n"))
	}
	return flush()
}

// get returns a named query ready for the dialect. A missing name is a bug in this package, which
// the conformance suite catches on its first run.
func (q *queries) get(name string) string {
	s, ok := q.ready[name]
	if !ok {
		panic("store: no query named " + name)
	}
	return s
}

// has reports whether the dialect defines a query (some exist only where needed, e.g. locks).
func (q *queries) has(name string) bool {
	_, ok := q.ready[name]
	return ok
}

// rows returns a multi-row form of an INSERT: its first parenthesised tuple after VALUES is
// repeated n times. Batches go to the database in one statement per chunk instead of one round
// trip per row, which is what makes batch inserts fast on PostgreSQL.
func (q *queries) rows(name string, n int) string {
	k := rowsKey{name, n}
	q.rowsMu.Lock()
	defer q.rowsMu.Unlock()
	if s, ok := q.rowsSQL[k]; ok {
		return s
	}
	raw, ok := q.raw[name]
	if !ok {
		panic("store: no query named " + name)
	}
	i := strings.Index(strings.ToUpper(raw), "VALUES")
	if i < 0 {
		panic("store: query " + name + " has no VALUES")
	}
	open := i + strings.IndexByte(raw[i:], '(')
	end := open + strings.IndexByte(raw[open:], ')') + 1
	tuple := raw[open:end]
	var b strings.Builder
	b.Grow(len(raw) + (n-1)*(len(tuple)+2))
	b.WriteString(raw[:open])
	for j := range n {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	b.WriteString(raw[end:])
	s := q.rewrite(b.String())
	q.rowsSQL[k] = s // few: callers use powers of two (chunkRows)
	return s
}

// rewrite turns ? placeholders into $1, $2, … for PostgreSQL, leaving quoted text and comments
// alone.
func (q *queries) rewrite(sql string) string {
	if q.dialect != dialectPostgres {
		return sql
	}
	var b strings.Builder
	b.Grow(len(sql) + 16)
	n := 0
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(sql) && sql[j] != c {
				j++
			}
			b.WriteString(sql[i:min(j+1, len(sql))])
			i = j
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = len(sql) - i
			}
			b.WriteString(sql[i : i+j])
			i += j - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
