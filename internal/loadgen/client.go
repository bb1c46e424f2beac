package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
)

// Client posts to one HTTP/1.1 endpoint over a fixed set of keep-alive connections, with
// requests built once and responses read with as little work as it takes. A load generator that
// costs as much CPU per request as the server it measures (net/http's client nearly does) shares
// the machine's cores with it and blurs the comparison; this one costs a fraction of that.
type Client struct {
	addr, path string
	header     []byte // request line and headers up to Content-Length
	conns      chan *conn
}

type conn struct {
	c   net.Conn
	r   *bufio.Reader
	buf []byte
}

// NewClient returns a client for POST requests to http://addr/path carrying the given headers
// (name, value pairs), with at most size connections.
func NewClient(addr, path string, size int, headers ...string) *Client {
	var h bytes.Buffer
	fmt.Fprintf(&h, "POST %s HTTP/1.1\r\nHost: %s\r\n", path, addr)
	for i := 0; i+1 < len(headers); i += 2 {
		fmt.Fprintf(&h, "%s: %s\r\n", headers[i], headers[i+1])
	}
	h.WriteString("Content-Length: ")
	return &Client{addr: addr, path: path, header: h.Bytes(), conns: make(chan *conn, size)}
}

// Post sends one request and reads the whole answer, returning its status.
func (c *Client) Post(body []byte) (int, error) {
	var cn *conn
	select {
	case cn = <-c.conns:
	default:
		nc, err := net.Dial("tcp", c.addr)
		if err != nil {
			return 0, err
		}
		cn = &conn{c: nc, r: bufio.NewReaderSize(nc, 16<<10)}
	}
	status, err := cn.roundTrip(c.header, body)
	if err != nil {
		cn.c.Close()
		return 0, err
	}
	select {
	case c.conns <- cn:
	default:
		cn.c.Close()
	}
	return status, nil
}

// Close closes the idle connections.
func (c *Client) Close() {
	for {
		select {
		case cn := <-c.conns:
			cn.c.Close()
		default:
			return
		}
	}
}

func (cn *conn) roundTrip(header, body []byte) (int, error) {
	b := append(cn.buf[:0], header...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	cn.buf = b
	if _, err := cn.c.Write(b); err != nil {
		return 0, err
	}
	line, err := cn.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length, chunked := -1, false
	for {
		h, err := cn.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok {
			v = bytes.TrimSpace(v)
			switch {
			case bytes.EqualFold(k, []byte("Content-Length")):
				length, _ = strconv.Atoi(string(v))
			case bytes.EqualFold(k, []byte("Transfer-Encoding")) && bytes.EqualFold(v, []byte("chunked")):
				chunked = true
			}
		}
	}
	switch {
	case chunked:
		return status, skipChunked(cn.r)
	case length >= 0:
		_, err = cn.r.Discard(length)
		return status, err
	}
	return 0, errors.New("answer without a length")
}

func skipChunked(r *bufio.Reader) error {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if _, err := r.Discard(int(size) + 2); err != nil { // the chunk and its CRLF
			return err
		}
		if size == 0 {
			return nil
		}
	}
}
