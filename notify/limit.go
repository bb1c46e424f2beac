package notify

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"

	"github.com/epiloguehq/epilogue"
)

// A template is the shop's code running on our server, and text/template bounds neither its
// output, nor its loops, nor its time: four nested {{range seq 1 100}} print a gigabyte. These
// limits bound one render, far above what a real message needs (the built-in templates render
// in a fraction of a millisecond, with a few hundred steps and under 20 KiB of HTML).
const (
	// maxSubjectOut is the raw subject, before its spaces are squeezed; a header line is
	// at most 998 bytes anyway.
	maxSubjectOut = 2 << 10
	// maxHTMLOut is the HTML part with its layout. Gmail already clips a message at 102 KB.
	maxHTMLOut = 512 << 10
	// maxTextOut is the plain-text part with its layout.
	maxTextOut = 256 << 10
	// maxSteps is the steps one part may take: each piece of text, each action ({{.X}},
	// {{if}}, {{template}}…), each turn of a {{range}}, each call of a printing function and
	// each number of a seq. It is what stops loops that write nothing; a step is well under
	// a microsecond.
	maxSteps = 100_000
	// maxMade is how much text printf, print, println, html, js, urlquery and withQuery may
	// make in one part: a call builds its whole result before any writer can refuse it.
	maxMade = 1 << 20
	// maxSeq is the most numbers one seq gives.
	maxSeq = 100
	// maxRenderTime bounds a whole render (Validate's trial renders together), for a step
	// made slow on purpose. Wall time, not the injected clock: it measures our CPU, not the
	// shop's day. Generous, because a render that hits it at send time fails the message.
	maxRenderTime = 500 * time.Millisecond
)

// budget is what the part being executed may still spend. The writer and the template's
// functions both draw on it, which is why a compiled template renders one message at a time.
type budget struct {
	steps    int
	made     int
	calls    int
	deadline time.Time
}

func newBudget(deadline time.Time) budget {
	return budget{steps: maxSteps, made: maxMade, deadline: deadline}
}

// step spends n steps. The clock is read every 16 calls: a step is fast, a clock read is not free.
func (b *budget) step(n int) error {
	if b.steps -= n; b.steps < 0 {
		return epilogue.Invalid("", "takes more than %d steps to render; look for nested {{range}}s or a {{range}} over a large number", maxSteps)
	}
	if b.calls++; b.calls%16 == 0 && time.Now().After(b.deadline) {
		return epilogue.Invalid("", "takes longer than %v to render", maxRenderTime)
	}
	return nil
}

// make checks that a function may make up to bound bytes, runs it and charges what it made.
func (b *budget) make(bound int, f func() string) (string, error) {
	if err := b.step(1); err != nil {
		return "", err
	}
	if bound > b.made {
		return "", epilogue.Invalid("", "would make more than %s of text", size(maxMade))
	}
	s := f()
	b.made -= len(s)
	return s, nil
}

// limitWriter is where a part renders: it charges every write, even an empty one, to the
// budget and refuses to hold more than max bytes. discard counts without keeping.
type limitWriter struct {
	b       *budget
	buf     bytes.Buffer
	n, max  int
	discard bool
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if err := w.b.step(1); err != nil {
		return 0, err
	}
	if w.n += len(p); w.n > w.max {
		return 0, epilogue.Invalid("", "renders more than %s; look for a {{range}} that repeats more than intended", size(w.max))
	}
	if !w.discard {
		w.buf.Write(p)
	}
	return len(p), nil
}

// size says n bytes the way the limits are written: 512 KiB, 1 MiB.
func size(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// prepare readies the parse trees of one part before it is first executed: it refuses
// templates that call themselves and calls it cannot bound, then meters loops and calls (and,
// with whole, checks that no action prints a whole object).
func prepare(trees map[string]*parse.Tree, whole bool) error {
	if err := noRecursion(trees); err != nil {
		return err
	}
	for _, tree := range trees {
		if err := boundedCalls(tree); err != nil {
			return err
		}
	}
	for _, tree := range trees {
		if whole {
			showWholeValues(tree)
		}
		meter(tree)
	}
	return nil
}

// meter puts an empty text node at the start of every list (a template, a {{range}} body, a
// branch) and before every action in it. Executing one is an empty Write, which is how the
// limitWriter counts the turns of a loop that writes nothing ({{range 1000000000}}{{end}}) and
// the actions that write nothing ({{if}}, {{$x := …}}), so that these too run out of steps.
func meter(tree *parse.Tree) {
	walk(tree.Root, func(n parse.Node) error {
		l, ok := n.(*parse.ListNode)
		if !ok {
			return nil
		}
		nodes := make([]parse.Node, 0, 2*len(l.Nodes)+1)
		nodes = append(nodes, empty(l.Pos))
		for _, k := range l.Nodes {
			if _, text := k.(*parse.TextNode); !text {
				nodes = append(nodes, empty(k.Position()))
			}
			nodes = append(nodes, k)
		}
		l.Nodes = nodes
		return nil
	})
}

func empty(pos parse.Pos) *parse.TextNode {
	return &parse.TextNode{NodeType: parse.NodeText, Pos: pos, Text: []byte{}}
}

// noRecursion refuses a template that calls itself, directly or through others: messages are
// not recursive, and a recursive template runs to text/template's depth limit of 100,000
// nested calls, with a stack to match.
func noRecursion(trees map[string]*parse.Tree) error {
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var visit func(name string) error
	visit = func(name string) error {
		state[name] = open
		tree := trees[name]
		err := walk(tree.Root, func(n parse.Node) error {
			t, ok := n.(*parse.TemplateNode)
			if !ok || trees[t.Name] == nil {
				return nil
			}
			switch state[t.Name] {
			case open:
				loc, _ := tree.ErrorContext(t)
				return fmt.Errorf("template: %s: template %q calls itself, directly or through another template", loc, t.Name)
			case unseen:
				return visit(t.Name)
			}
			return nil
		})
		state[name] = done
		return err
	}
	for name := range trees {
		if state[name] == unseen {
			if err := visit(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// boundedCalls refuses {{html a b}} and {{urlquery a b}}: html/template rewrites them to print
// their arguments with fmt before escaping, which no function of ours can bound.
func boundedCalls(tree *parse.Tree) error {
	return walk(tree.Root, func(n parse.Node) error {
		c, ok := n.(*parse.CommandNode)
		if !ok || len(c.Args) <= 2 {
			return nil
		}
		if escaper(c) {
			loc, _ := tree.ErrorContext(c)
			return fmt.Errorf("template: %s: %s takes one argument; join them first with print", loc, c.Args[0])
		}
		return nil
	})
}

// walk calls f on n and everything below it, stopping at the first error.
func walk(n parse.Node, f func(parse.Node) error) error {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return nil
	}
	if err := f(n); err != nil {
		return err
	}
	var kids []parse.Node
	switch n := n.(type) {
	case *parse.ListNode:
		kids = n.Nodes
	case *parse.ActionNode:
		kids = []parse.Node{n.Pipe}
	case *parse.IfNode:
		kids = []parse.Node{n.Pipe, n.List, n.ElseList}
	case *parse.RangeNode:
		kids = []parse.Node{n.Pipe, n.List, n.ElseList}
	case *parse.WithNode:
		kids = []parse.Node{n.Pipe, n.List, n.ElseList}
	case *parse.TemplateNode:
		kids = []parse.Node{n.Pipe}
	case *parse.PipeNode:
		for _, c := range n.Cmds {
			kids = append(kids, c)
		}
	case *parse.CommandNode:
		kids = n.Args
	case *parse.ChainNode:
		kids = []parse.Node{n.Node}
	}
	for _, k := range kids {
		if err := walk(k, f); err != nil {
			return err
		}
	}
	return nil
}

// printFuncs replace text/template's own printing functions with ones that charge b: one call
// can otherwise build a gigabyte before any writer sees it ({{printf "%0999999d%0999999d" 0 0}},
// or js doubling the backslashes of a nest of js calls).
func printFuncs(b *budget) map[string]any {
	plain := func(grow int, args []any, f func(...any) string) (string, error) {
		n, _, err := printedSize(args, 1)
		if err != nil {
			return "", err
		}
		return b.make(grow*n, func() string { return f(args...) })
	}
	return map[string]any{
		"print":    func(args ...any) (string, error) { return plain(1, args, fmt.Sprint) },
		"println":  func(args ...any) (string, error) { return plain(1, args, fmt.Sprintln) },
		"html":     func(args ...any) (string, error) { return plain(6, args, texttemplate.HTMLEscaper) }, // " → &#34;
		"js":       func(args ...any) (string, error) { return plain(6, args, texttemplate.JSEscaper) },   // < → \u003C
		"urlquery": func(args ...any) (string, error) { return plain(3, args, texttemplate.URLQueryEscaper) },
		"printf": func(format string, args ...any) (string, error) {
			// Any verb may print any argument (%[1]s), %q and % x grow a string up to
			// tenfold, and a width or precision pads each verb: bound all of it.
			sum, largest, err := printedSize(args, 10)
			if err != nil {
				return "", err
			}
			verbs := strings.Count(format, "%")
			bound := len(format) + sum + verbs*(largest+16) + numbers(format) + strings.Count(format, "*")*1_000_000
			return b.make(bound, func() string { return fmt.Sprintf(format, args...) })
		},
	}
}

// printedSize bounds the bytes fmt prints for args (strings grown grow times), and the most
// for one of them. It refuses lists, maps and objects: they print as big as the data they
// hold, and {{print . . .}} would print the whole message many times over.
func printedSize(args []any, grow int) (sum, largest int, err error) {
	for _, a := range args {
		n := 512 // a number, a time or an amount; a float with a long precision is paid by numbers
		switch v := reflect.ValueOf(a); v.Kind() {
		case reflect.String:
			n = grow*v.Len() + 2
		case reflect.Invalid, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
			reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		default:
			if _, ok := a.(fmt.Stringer); !ok {
				return 0, 0, fmt.Errorf("cannot print a list, a map or an object; print its fields")
			}
		}
		sum += n + 1 // and a space between
		largest = max(largest, n)
	}
	return sum, largest, nil
}

// numbers is the sum of the numbers written in a printf format: more than its widths and
// precisions, which fmt caps at a million each.
func numbers(format string) int {
	sum, n := 0, 0
	for i := 0; i <= len(format); i++ {
		if i < len(format) && format[i] >= '0' && format[i] <= '9' {
			n = min(n*10+int(format[i]-'0'), 10_000_000)
			continue
		}
		sum, n = sum+n, 0
	}
	return sum
}
