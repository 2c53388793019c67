package dataset

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// pySeq is a Python tuple or list.
type pySeq []any

// parsePyLiteral parses the subset of Python literals found in .npy headers:
// dicts, tuples, lists, strings, integers, True, False and None, followed
// by padding.
func parsePyLiteral(s string) (any, error) {
	p := pyParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	for ; p.i < len(p.s); p.i++ {
		if c := p.s[p.i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != 0 {
			return nil, fmt.Errorf("unexpected %q after the dictionary", c)
		}
	}
	return v, nil
}

type pyParser struct {
	s     string
	i     int
	depth int
}

func (p *pyParser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *pyParser) value() (any, error) {
	p.skip()
	if p.i >= len(p.s) {
		return nil, errors.New("unexpected end")
	}
	c := p.s[p.i]
	switch {
	case c == '{' || c == '(' || c == '[':
		if p.depth >= 16 {
			return nil, errors.New("nested too deeply")
		}
		p.depth++
		defer func() { p.depth-- }()
		if c == '{' {
			return p.dict()
		}
		return p.seq(c)
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || c == '+' || ('0' <= c && c <= '9'):
		return p.int()
	case 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_':
		j := p.i
		for j < len(p.s) && ('A' <= p.s[j] && p.s[j] <= 'Z' || 'a' <= p.s[j] && p.s[j] <= 'z' || '0' <= p.s[j] && p.s[j] <= '9' || p.s[j] == '_') {
			j++
		}
		name := p.s[p.i:j]
		p.i = j
		switch name {
		case "True":
			return true, nil
		case "False":
			return false, nil
		case "None":
			return nil, nil
		}
		return nil, fmt.Errorf("unexpected name %s", quote(name))
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", c, p.i)
}

func (p *pyParser) dict() (any, error) {
	p.i++ // '{'
	d := make(map[string]any)
	for {
		p.skip()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return d, nil
		}
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("dictionary key %v is not a string", k)
		}
		if _, dup := d[key]; dup {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		p.skip()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, fmt.Errorf("no ':' after key %q", key)
		}
		p.i++
		if d[key], err = p.value(); err != nil {
			return nil, err
		}
		p.skip()
		switch {
		case p.i >= len(p.s):
			return nil, errors.New("unexpected end")
		case p.s[p.i] == ',':
			p.i++
		case p.s[p.i] != '}':
			return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.i], p.i)
		}
	}
}

// seq parses a tuple or a list. As in Python, a parenthesised single value
// without a comma is that value, not a tuple.
func (p *pyParser) seq(open byte) (any, error) {
	closer := byte(')')
	if open == '[' {
		closer = ']'
	}
	p.i++
	seq := pySeq{}
	comma := false
	for {
		p.skip()
		if p.i < len(p.s) && p.s[p.i] == closer {
			p.i++
			if open == '(' && len(seq) == 1 && !comma {
				return seq[0], nil
			}
			return seq, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		seq = append(seq, v)
		p.skip()
		switch {
		case p.i >= len(p.s):
			return nil, errors.New("unexpected end")
		case p.s[p.i] == ',':
			comma = true
			p.i++
		case p.s[p.i] != closer:
			return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.i], p.i)
		}
	}
}

func (p *pyParser) str() (any, error) {
	q := p.s[p.i]
	var b strings.Builder
	for j := p.i + 1; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == q:
			p.i = j + 1
			return b.String(), nil
		case c == '\\' && j+1 < len(p.s):
			j++
			b.WriteByte(p.s[j])
		case c == '\n':
			return nil, errors.New("unterminated string")
		default:
			b.WriteByte(c)
		}
	}
	return nil, errors.New("unterminated string")
}

func (p *pyParser) int() (any, error) {
	j := p.i
	if p.s[j] == '-' || p.s[j] == '+' {
		j++
	}
	start := j
	for j < len(p.s) && '0' <= p.s[j] && p.s[j] <= '9' {
		j++
	}
	if j == start {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.i], p.i)
	}
	text := p.s[p.i:j]
	if j < len(p.s) && (p.s[j] == 'L' || p.s[j] == 'l') { // Python 2 long
		j++
	}
	if j < len(p.s) && (p.s[j] == '.' || p.s[j] == 'e' || p.s[j] == 'E' || p.s[j] == 'j' || p.s[j] == '_') {
		return nil, fmt.Errorf("number at offset %d is not an integer", p.i)
	}
	p.i = j
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("integer %s is out of range", quote(text))
	}
	return v, nil
}
