package journey

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The condition language: comparisons of fields and literals, joined with and, or and not.
//
//	order.total >= 100 and customer.locale == "fr"
//	not (shipment.carrier in ["USPS", "UPS"]) or "coffee" in order.categories
//
// Operators: == != < <= > >= in, and (&&), or (||), not (!), parentheses. Literals: "strings",
// numbers, true, false, and lists of literals in brackets. Fields come from a fixed schema
// (fields below), so a typo or a type mismatch is refused when the journey is saved; nothing
// is looked up by reflection. A field unknown for an enrollment (no shipment yet, say) reads as
// its zero value: "", 0, false or an empty list.

// Expression limits: a condition is a sentence, not a program.
const (
	maxExprLen   = 1000
	maxExprNodes = 100
	maxExprDepth = 16
)

type kind uint8

const (
	kString kind = iota + 1
	kNumber
	kBool
	kList
)

func (k kind) String() string {
	return [...]string{"", "a string", "a number", "true or false", "a list"}[k]
}

// fields is the schema of what a condition may read.
var fields = map[string]kind{
	"order.id":                   kString,
	"order.total":                kNumber,
	"order.currency":             kString,
	"order.status":               kString,
	"order.source":               kString,
	"order.item_count":           kNumber,
	"order.quantity":             kNumber,
	"order.categories":           kList,
	"order.skus":                 kList,
	"order.product_ids":          kList,
	"order.replenishable":        kBool,
	"customer.id":                kString,
	"customer.locale":            kString,
	"customer.language":          kString,
	"customer.timezone":          kString,
	"customer.first_name":        kString,
	"customer.has_email":         kBool,
	"customer.has_phone":         kBool,
	"customer.consent.email":     kBool,
	"customer.consent.sms":       kBool,
	"customer.consent.marketing": kBool,
	"customer.consent.partners":  kBool,
	"shipment.id":                kString,
	"shipment.status":            kString,
	"shipment.carrier":           kString,
	"trigger.event":              kString,
	"trigger.status":             kString,
}

// attributePrefix names a customer attribute, which is always a string.
const attributePrefix = "customer.attributes."

func fieldKind(path string) (kind, bool) {
	if k, ok := fields[path]; ok {
		return k, true
	}
	if name, ok := strings.CutPrefix(path, attributePrefix); ok && name != "" && !strings.Contains(name, ".") {
		return kString, true
	}
	return 0, false
}

// Fields lists the field paths a condition may read, for error messages and documentation.
func Fields() []string {
	out := make([]string, 0, len(fields)+1)
	for f := range fields {
		out = append(out, f)
	}
	sort.Strings(out)
	return append(out, attributePrefix+"NAME")
}

// value is one typed value during evaluation.
type value struct {
	k kind
	s string
	n float64
	b bool
	l []string
}

// Vars are the values of the fields for one enrollment.
type Vars map[string]value

// Expr is a compiled condition, safe for concurrent use.
type Expr struct {
	src  string
	root node
	// reads says which records the condition reads (order, customer, shipment), so only
	// those are loaded.
	reads reads
}

type reads struct{ order, customer, shipment bool }

// String returns the source.
func (e *Expr) String() string { return e.src }

// node is one node of the syntax tree.
type node struct {
	op    string // "lit", "field", "list", "not", "and", "or", or a comparison operator
	k     kind   // the type it evaluates to
	val   value  // lit, list
	field string
	kids  []node
}

// Compile parses and type-checks a condition. The error says where and what is wrong.
func Compile(src string) (*Expr, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("is empty")
	}
	if len(src) > maxExprLen {
		return nil, fmt.Errorf("is longer than %d characters", maxExprLen)
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	root, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, fmt.Errorf("unexpected %s at column %d", t, t.pos+1)
	}
	if root.k != kBool {
		return nil, fmt.Errorf("must be true or false, not %s: compare it with something", root.k)
	}
	e := &Expr{src: src, root: root}
	e.reads = readsOf(&root)
	return e, nil
}

func readsOf(n *node) reads {
	var r reads
	if n.op == "field" {
		r.order = strings.HasPrefix(n.field, "order.") && n.field != "order.id"
		r.customer = strings.HasPrefix(n.field, "customer.") && n.field != "customer.id"
		r.shipment = strings.HasPrefix(n.field, "shipment.") && n.field != "shipment.id"
	}
	for i := range n.kids {
		k := readsOf(&n.kids[i])
		r.order, r.customer, r.shipment = r.order || k.order, r.customer || k.customer, r.shipment || k.shipment
	}
	return r
}

// Eval evaluates the condition with the enrollment's values.
func (e *Expr) Eval(v Vars) bool { return eval(&e.root, v).b }

func eval(n *node, v Vars) value {
	switch n.op {
	case "lit", "list":
		return n.val
	case "field":
		if x, ok := v[n.field]; ok && x.k == n.k {
			return x
		}
		return value{k: n.k} // unknown here: the zero value
	case "not":
		return value{k: kBool, b: !eval(&n.kids[0], v).b}
	case "and":
		return value{k: kBool, b: eval(&n.kids[0], v).b && eval(&n.kids[1], v).b}
	case "or":
		return value{k: kBool, b: eval(&n.kids[0], v).b || eval(&n.kids[1], v).b}
	case "in":
		x, list := eval(&n.kids[0], v), eval(&n.kids[1], v)
		for _, s := range list.l {
			if s == x.s {
				return value{k: kBool, b: true}
			}
		}
		return value{k: kBool}
	}
	a, b := eval(&n.kids[0], v), eval(&n.kids[1], v)
	var c int // -1, 0, 1
	switch a.k {
	case kNumber:
		c = cmpNum(a.n, b.n)
	case kString:
		c = strings.Compare(a.s, b.s)
	case kBool:
		if a.b != b.b {
			c = 1
		}
	}
	switch n.op {
	case "==":
		return value{k: kBool, b: c == 0}
	case "!=":
		return value{k: kBool, b: c != 0}
	case "<":
		return value{k: kBool, b: c < 0}
	case "<=":
		return value{k: kBool, b: c <= 0}
	case ">":
		return value{k: kBool, b: c > 0}
	default: // ">="
		return value{k: kBool, b: c >= 0}
	}
}

func cmpNum(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Tokens.
type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tOp
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of condition"
	}
	return strconv.Quote(t.text)
}

var twoCharOps = []string{"==", "!=", "<=", ">=", "&&", "||"}

func lex(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\\' && j+1 < len(src) && (src[j+1] == '"' || src[j+1] == '\\') {
					j++
				}
				b.WriteByte(src[j])
			}
			if j >= len(src) {
				return nil, fmt.Errorf("string starting at column %d is not closed", i+1)
			}
			toks = append(toks, token{tString, b.String(), i})
			i = j + 1
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			toks = append(toks, token{tNumber, src[i:j], i})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(src) && (src[j] == '_' || src[j] == '.' || src[j] >= 'a' && src[j] <= 'z' ||
				src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			toks = append(toks, token{tIdent, src[i:j], i})
			i = j
		case c == '(':
			toks, i = append(toks, token{tLParen, "(", i}), i+1
		case c == ')':
			toks, i = append(toks, token{tRParen, ")", i}), i+1
		case c == '[':
			toks, i = append(toks, token{tLBrack, "[", i}), i+1
		case c == ']':
			toks, i = append(toks, token{tRBrack, "]", i}), i+1
		case c == ',':
			toks, i = append(toks, token{tComma, ",", i}), i+1
		default:
			op := ""
			for _, o := range twoCharOps {
				if strings.HasPrefix(src[i:], o) {
					op = o
				}
			}
			if op == "" && (c == '<' || c == '>' || c == '!') {
				op = string(c)
			}
			if op == "" {
				return nil, fmt.Errorf("unexpected character %q at column %d", c, i+1)
			}
			toks, i = append(toks, token{tOp, op, i}), i+len(op)
		}
		if len(toks) > maxExprNodes*2 {
			return nil, fmt.Errorf("has more than %d parts", maxExprNodes*2)
		}
	}
	return append(toks, token{tEOF, "", len(src)}), nil
}

type parser struct {
	toks  []token
	i     int
	nodes int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// word reports whether the next token is the keyword or operator w (or its symbol).
func (p *parser) word(words ...string) bool {
	t := p.peek()
	for _, w := range words {
		if (t.kind == tIdent || t.kind == tOp) && t.text == w {
			return true
		}
	}
	return false
}

func (p *parser) add(n node) (node, error) {
	p.nodes++
	if p.nodes > maxExprNodes {
		return node{}, fmt.Errorf("has more than %d parts", maxExprNodes)
	}
	return n, nil
}

func (p *parser) or(depth int) (node, error) {
	left, err := p.and(depth)
	for err == nil && p.word("or", "||") {
		p.next()
		var right node
		if right, err = p.and(depth); err != nil {
			break
		}
		if err = bothBool("or", left, right); err == nil {
			left, err = p.add(node{op: "or", k: kBool, kids: []node{left, right}})
		}
	}
	return left, err
}

func (p *parser) and(depth int) (node, error) {
	left, err := p.not(depth)
	for err == nil && p.word("and", "&&") {
		p.next()
		var right node
		if right, err = p.not(depth); err != nil {
			break
		}
		if err = bothBool("and", left, right); err == nil {
			left, err = p.add(node{op: "and", k: kBool, kids: []node{left, right}})
		}
	}
	return left, err
}

func bothBool(op string, a, b node) error {
	for _, n := range []node{a, b} {
		if n.k != kBool {
			return fmt.Errorf("%q joins conditions, but one side is %s", op, n.k)
		}
	}
	return nil
}

func (p *parser) not(depth int) (node, error) {
	if depth > maxExprDepth {
		return node{}, fmt.Errorf("nests deeper than %d levels", maxExprDepth)
	}
	if p.word("not", "!") {
		p.next()
		x, err := p.not(depth + 1)
		if err != nil {
			return x, err
		}
		if x.k != kBool {
			return node{}, fmt.Errorf("not applies to a condition, not %s", x.k)
		}
		return p.add(node{op: "not", k: kBool, kids: []node{x}})
	}
	return p.comparison(depth)
}

var comparisons = map[string]bool{"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true, "in": true}

func (p *parser) comparison(depth int) (node, error) {
	left, err := p.primary(depth)
	if err != nil {
		return left, err
	}
	t := p.peek()
	if !(t.kind == tOp || t.kind == tIdent) || !comparisons[t.text] {
		return left, nil
	}
	p.next()
	right, err := p.primary(depth)
	if err != nil {
		return right, err
	}
	switch {
	case t.text == "in":
		if right.k != kList || left.k != kString {
			return node{}, fmt.Errorf("\"in\" at column %d needs a string on the left and a list on the right", t.pos+1)
		}
	case left.k != right.k:
		return node{}, fmt.Errorf("%q at column %d compares %s with %s", t.text, t.pos+1, left.k, right.k)
	case left.k == kList:
		return node{}, fmt.Errorf("%q at column %d cannot compare lists; use \"in\"", t.text, t.pos+1)
	case left.k == kBool && t.text != "==" && t.text != "!=":
		return node{}, fmt.Errorf("%q at column %d cannot order true and false", t.text, t.pos+1)
	}
	return p.add(node{op: t.text, k: kBool, kids: []node{left, right}})
}

func (p *parser) primary(depth int) (node, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		if depth >= maxExprDepth {
			return node{}, fmt.Errorf("nests deeper than %d levels", maxExprDepth)
		}
		x, err := p.or(depth + 1)
		if err != nil {
			return x, err
		}
		if c := p.next(); c.kind != tRParen {
			return node{}, fmt.Errorf("expected \")\" at column %d, found %s", c.pos+1, c)
		}
		return x, nil
	case tString:
		return p.add(node{op: "lit", k: kString, val: value{k: kString, s: t.text}})
	case tNumber:
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return node{}, fmt.Errorf("%q at column %d is not a number", t.text, t.pos+1)
		}
		return p.add(node{op: "lit", k: kNumber, val: value{k: kNumber, n: n}})
	case tLBrack:
		var list []string
		for {
			e := p.next()
			if e.kind == tRBrack && len(list) == 0 {
				break
			}
			if e.kind != tString {
				return node{}, fmt.Errorf("lists hold strings: found %s at column %d", e, e.pos+1)
			}
			list = append(list, e.text)
			if len(list) > maxExprNodes {
				return node{}, fmt.Errorf("a list holds at most %d strings", maxExprNodes)
			}
			sep := p.next()
			if sep.kind == tRBrack {
				break
			}
			if sep.kind != tComma {
				return node{}, fmt.Errorf("expected \",\" or \"]\" at column %d, found %s", sep.pos+1, sep)
			}
		}
		return p.add(node{op: "list", k: kList, val: value{k: kList, l: list}})
	case tIdent:
		switch t.text {
		case "true", "false":
			return p.add(node{op: "lit", k: kBool, val: value{k: kBool, b: t.text == "true"}})
		case "and", "or", "not", "in":
			return node{}, fmt.Errorf("unexpected %q at column %d", t.text, t.pos+1)
		}
		k, ok := fieldKind(t.text)
		if !ok {
			return node{}, fmt.Errorf("unknown field %q at column %d; fields are %s", t.text, t.pos+1, strings.Join(Fields(), ", "))
		}
		return p.add(node{op: "field", k: k, field: t.text})
	}
	return node{}, fmt.Errorf("unexpected %s at column %d", t, t.pos+1)
}

// Values of the fields, for building Vars.
func strVal(s string) value    { return value{k: kString, s: s} }
func numVal(n float64) value   { return value{k: kNumber, n: n} }
func boolVal(b bool) value     { return value{k: kBool, b: b} }
func listVal(l []string) value { return value{k: kList, l: l} }
func boolPtr(b *bool) value    { return boolVal(b != nil && *b) }
