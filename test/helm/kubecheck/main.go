// kubecheck reads `helm template` output on stdin and decodes every document into its
// Kubernetes API type, refusing unknown fields, unknown kinds and broken references between
// the objects (decode.go, refs.go). It prints one line per object ("Kind name") and exits 0,
// or prints every problem on stderr and exits 1.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubecheck:", err)
		os.Exit(2)
	}
	var docs []*Document
	var problems []string
	for i, raw := range splitDocuments(data) {
		d, err := decode(i, raw)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		docs = append(docs, d)
	}
	if len(docs) == 0 && len(problems) == 0 {
		problems = append(problems, "no documents on stdin")
	}
	problems = append(problems, checkAll(docs)...)
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "kubecheck:", p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
	for _, d := range docs {
		fmt.Printf("%s %s\n", d.Kind, d.Name)
	}
}
