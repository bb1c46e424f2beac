package notify

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"text/template/parse"

	"github.com/epiloguehq/epilogue"
)

// showFunc ends every printing action's pipeline when a template is validated (see
// showWholeValues): {{.Order}} would put Go's own rendering of the order ("{1001 [{…}] 58.50
// USD 2026-03-16 10:00:00 +0000 UTC}") into a customer's email, so printing a whole object or
// list of objects is an error that says what to print instead, caught when the template is
// saved or previewed (Validate renders sample data).
const showFunc = "epilogueShow"

// showWholeValues adds showFunc, with the action's own text, to the pipeline of every action
// that prints, after its other commands (before a trailing html or urlquery).
func showWholeValues(tree *parse.Tree) {
	walk(tree.Root, func(n parse.Node) error {
		a, ok := n.(*parse.ActionNode)
		if !ok || len(a.Pipe.Decl) > 0 {
			return nil // {{$x := …}} prints nothing
		}
		expr := &parse.StringNode{NodeType: parse.NodeString, Pos: a.Pos, Quoted: fmt.Sprintf("%q", a.Pipe.String()), Text: a.Pipe.String()}
		cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: a.Pos,
			Args: []parse.Node{&parse.IdentifierNode{NodeType: parse.NodeIdentifier, Pos: a.Pos, Ident: showFunc}, expr}}
		// html/template allows its predefined escapers only at the end of a pipeline.
		i := len(a.Pipe.Cmds)
		for i > 1 && escaper(a.Pipe.Cmds[i-1]) {
			i--
		}
		a.Pipe.Cmds = append(a.Pipe.Cmds[:i], append([]*parse.CommandNode{cmd}, a.Pipe.Cmds[i:]...)...)
		return nil
	})
}

// plainField is an action that only reads a field: one a suggestion can extend.
var plainField = regexp.MustCompile(`^(\.|(\.[A-Za-z_]\w*)+)$`)

// fieldNames lists the fields a template can read of t, those of embedded structs promoted.
func fieldNames(dst []string, t reflect.Type) []string {
	for i := range t.NumField() {
		switch f := t.Field(i); {
		case f.Anonymous && f.Type.Kind() == reflect.Struct:
			dst = fieldNames(dst, f.Type)
		case f.IsExported():
			dst = append(dst, f.Name)
		}
	}
	return dst
}

// printable says whether a value of type t prints as itself: a word, a number, a time.
func printable(t reflect.Type) bool {
	return t.Implements(stringer) || t.Kind() < reflect.Array || t.Kind() == reflect.String
}

var stringer = reflect.TypeFor[fmt.Stringer]()

// escaper reports whether a command calls one of html/template's predefined escapers, which it
// treats specially (they must end a pipeline, and take their arguments through fmt).
func escaper(c *parse.CommandNode) bool {
	id, ok := c.Args[0].(*parse.IdentifierNode)
	return ok && (id.Ident == "html" || id.Ident == "urlquery")
}

// show passes v through unchanged (so html/template still escapes it by its type) unless it is
// a whole struct, list or map without a printed form of its own; expr is the action's text.
func show(expr string, v any) (any, error) {
	if v == nil {
		return v, nil
	}
	if _, ok := v.(fmt.Stringer); ok { // an amount, a time
		return v, nil
	}
	if _, ok := v.(error); ok {
		return v, nil
	}
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		fields, first := fieldNames(nil, t), ""
		msg := fmt.Sprintf("{{%s}} prints a whole object: print one of its fields (%s)", expr, strings.Join(fields, ", "))
		for _, name := range fields {
			if f, _ := t.FieldByName(name); first == "" && printable(f.Type) {
				first = name
			}
		}
		if plainField.MatchString(expr) && first != "" {
			msg += fmt.Sprintf(", such as {{%s.%s}}", strings.TrimSuffix(expr, "."), first)
		}
		return nil, epilogue.Errorf(epilogue.EInvalid, "%s", msg)
	case reflect.Slice, reflect.Array, reflect.Map:
		// A list of numbers or words prints as one ("[1 2 3]"); a list of objects does not.
		e := t.Elem()
		for e.Kind() == reflect.Pointer {
			e = e.Elem()
		}
		if e.Kind() == reflect.Struct && !reflect.PointerTo(e).Implements(stringer) {
			return nil, epilogue.Errorf(epilogue.EInvalid, "{{%s}} prints a whole list: go through it with {{range %s}}…{{end}}", expr, expr)
		}
	}
	return v, nil
}
