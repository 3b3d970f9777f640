package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// protoField is one field of a message as a generated.proto file declares it.
type protoField struct {
	name     string
	typ      string
	repeated bool
}

var (
	packageLine = regexp.MustCompile(`^package\s+([\w.]+);`)
	messageLine = regexp.MustCompile(`^message\s+(\w+)\s*\{`)
	fieldLine   = regexp.MustCompile(`^\s*(optional|repeated|required)\s+(\S+)\s+(\w+)\s*=\s*(\d+)`)
	mapLine     = regexp.MustCompile(`^\s*map<\s*\S+\s*,\s*\S+\s*>\s+(\w+)\s*=\s*(\d+)`)
)

// parseProtos reads every generated.proto under the modules' directories into full message
// name -> field number -> field.
func parseProtos(t *testing.T, modules ...string) map[string]map[int]protoField {
	messages := map[string]map[int]protoField{}
	for _, module := range modules {
		dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
		if err != nil {
			t.Fatalf("locating %s: %v", module, err)
		}
		root := strings.TrimSpace(string(dir))
		err = filepath.WalkDir(root, func(path string, entry os.DirEntry, err error) error {
			if err != nil || entry.IsDir() || entry.Name() != "generated.proto" {
				return err
			}
			file, err := os.Open(path)
			if err != nil {
				return err
			}
			defer file.Close()
			pkg, current := "", ""
			scanner := bufio.NewScanner(file)
			for scanner.Scan() {
				line := scanner.Text()
				if m := packageLine.FindStringSubmatch(line); m != nil {
					pkg = m[1]
				} else if m := messageLine.FindStringSubmatch(line); m != nil {
					current = pkg + "." + m[1]
					messages[current] = map[int]protoField{}
				} else if m := fieldLine.FindStringSubmatch(line); m != nil && current != "" {
					number, _ := strconv.Atoi(m[4])
					messages[current][number] = protoField{name: m[3], typ: m[2], repeated: m[1] == "repeated"}
				} else if m := mapLine.FindStringSubmatch(line); m != nil && current != "" {
					number, _ := strconv.Atoi(m[2])
					messages[current][number] = protoField{name: m[1], typ: "map", repeated: true}
				}
			}
			return scanner.Err()
		})
		if err != nil {
			t.Fatalf("reading %s: %v", module, err)
		}
	}
	return messages
}

// The table made from the Go types agrees with the generated.proto files, field by field:
// number, name, repeated, and scalar type (message types are only checked to be messages).
func TestTableMatchesGeneratedProto(t *testing.T) {
	defs, problems, err := build()
	if err != nil || len(problems) > 0 {
		t.Fatalf("building the table: %v %v", err, problems)
	}
	messages := parseProtos(t, "k8s.io/api", "k8s.io/apimachinery", "k8s.io/apiextensions-apiserver", "k8s.io/kube-aggregator")
	checkedMessages, checkedFields := 0, 0
	for name, def := range defs {
		if def.Special != "" {
			continue
		}
		declared, ok := messages[def.Message]
		if !ok {
			t.Errorf("%s: no message %s in any generated.proto", name, def.Message)
			continue
		}
		checkedMessages++
		if len(declared) != len(def.Fields) {
			t.Errorf("%s: %d fields in the table, %d in generated.proto", name, len(def.Fields), len(declared))
		}
		for _, field := range def.Fields {
			proto, ok := declared[field.Number]
			if !ok {
				t.Errorf("%s.%s: no field %d in generated.proto", name, field.GoName, field.Number)
				continue
			}
			checkedFields++
			if proto.name != field.Proto || proto.repeated != field.Repeated {
				t.Errorf("%s.%s: generated.proto has %+v, the table %s repeated=%v", name, field.GoName, proto, field.Proto, field.Repeated)
			}
			scalar := map[string]bool{"string": true, "bytes": true, "bool": true, "int32": true, "int64": true, "double": true, "float": true, "uint32": true, "uint64": true}
			switch {
			case proto.typ == "map":
				if field.Map == nil {
					t.Errorf("%s.%s: a map in generated.proto, not in the table", name, field.GoName)
				}
			case scalar[proto.typ]:
				if proto.typ != field.Type {
					t.Errorf("%s.%s: generated.proto type %s, the table %s", name, field.GoName, proto.typ, field.Type)
				}
			case field.Type != "message":
				t.Errorf("%s.%s: generated.proto type %s (a message), the table %s", name, field.GoName, proto.typ, field.Type)
			}
		}
	}
	t.Logf("%d messages and %d fields agree with generated.proto", checkedMessages, checkedFields)
	if checkedMessages < 1000 {
		t.Errorf("only %d messages checked", checkedMessages)
	}
}
