// kamaji_scan DIR: the yardstick of certlc's cold scan. It does what
// Kamaji's controllers do with each Secret they check: decode the Secret's
// JSON (encoding/json, the data values base64-decoded into []byte), then
// for every value holding PEM, pem.Decode and x509.ParseCertificate of
// each CERTIFICATE block. It walks every *.json file below DIR/<namespace>/
// (certlc's file store; tenant status files under tcp/ are skipped), on one
// goroutine, as one controller reconciles one object at a time.
//
// Prints: files=N certs=M wall=SECONDS
package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

type secret struct {
	Kind string            `json:"kind"`
	Data map[string][]byte `json:"data"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kamaji_scan STATE_DIR")
		os.Exit(2)
	}
	files, _ := filepath.Glob(filepath.Join(os.Args[1], "*", "*.json"))
	start := time.Now()
	certs := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var s secret
		if err := json.Unmarshal(raw, &s); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", f, err)
			os.Exit(1)
		}
		for _, v := range s.Data {
			rest := v
			for {
				var b *pem.Block
				b, rest = pem.Decode(rest)
				if b == nil {
					break
				}
				if b.Type != "CERTIFICATE" {
					continue
				}
				if _, err := x509.ParseCertificate(b.Bytes); err != nil {
					fmt.Fprintf(os.Stderr, "%s: %v\n", f, err)
					os.Exit(1)
				}
				certs++
			}
		}
	}
	wall := time.Since(start).Seconds()
	fmt.Printf("files=%d certs=%d wall=%.6f\n", len(files), certs, wall)
}
