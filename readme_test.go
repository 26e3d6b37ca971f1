package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestREADMEReportSamples: the samples of the JSON and Markdown reports in
// README.md are what isodiff writes.
func TestREADMEReportSamples(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := func(open, close string) string {
		_, rest, ok := strings.Cut(string(readme), open)
		body, _, ok2 := strings.Cut(rest, close)
		if !ok || !ok2 {
			t.Fatalf("README.md has no %q block", open)
		}
		return body
	}
	a, b := "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-pyc.iso"

	md, _, _ := runIsodiff(t, "--markdown", "-", a, b)
	if sample := block("````markdown\n", "\n````\n"); !strings.HasPrefix(md, sample+"\n") {
		t.Errorf("the Markdown sample is not the start of the report:\n%s", md)
	}

	var sample, root map[string]any
	if err := json.Unmarshal([]byte(block("```json\n", "\n```\n")), &sample); err != nil {
		t.Fatalf("the JSON sample: %v", err)
	}
	out, _, _ := runIsodiff(t, "--json", "-", a, b)
	if err := json.Unmarshal([]byte(out), &root); err != nil {
		t.Fatal(err)
	}
	var find func(n map[string]any) bool
	find = func(n map[string]any) bool {
		if reflect.DeepEqual(n, sample) {
			return true
		}
		details, _ := n["details"].([]any)
		for _, d := range details {
			if find(d.(map[string]any)) {
				return true
			}
		}
		return false
	}
	if !find(root) {
		t.Errorf("the JSON sample is no object of the report:\n%s", out)
	}
}
