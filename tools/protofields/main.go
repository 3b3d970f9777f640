// Command protofields writes the protobuf field table of the Kubernetes built-in types.
//
// The OpenAPI spec kubegen generates from has no protobuf field numbers; they live in the Go
// struct tags of k8s.io/api, k8s.io/apimachinery, apiextensions-apiserver and kube-aggregator.
// This program walks every type registered in those schemes (and every struct reachable from
// them) by reflection and prints, for each definition named as the OpenAPI spec names it, each
// field's JSON name, protobuf number and type, whether it is repeated or a map, whether Go
// makes it a pointer or omitempty, and which Go structs are embedded inline (flattened in JSON,
// a nested message in protobuf). The output is deterministic: definitions and fields sorted.
//
// Usage: go run . > ../../specs/kubernetes-v1.35-protobuf.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/scheme"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// Table is the file written: the Kubernetes module version and the definitions.
type Table struct {
	Comment     string                 `json:"comment"`
	Source      string                 `json:"source"`
	Definitions map[string]*Definition `json:"definitions"`
}

// Definition is one Go struct (one protobuf message), or a type with hand-written marshaling.
type Definition struct {
	// Message is the protobuf message's full name (package from the Go package path).
	Message string `json:"message"`
	// Special names a type with hand-written protobuf marshaling (time, quantity, ...); its
	// fields are then the message's as apimachinery's generated.proto declares them.
	Special string `json:"special,omitempty"`
	// TypeMeta is true when the struct embeds TypeMeta: apiVersion and kind travel in the
	// runtime.Unknown envelope, not in the message.
	TypeMeta bool     `json:"typeMeta,omitempty"`
	Fields   []*Field `json:"fields"`
}

// Field is one protobuf field of a message.
type Field struct {
	// JSON is the field's JSON name; empty for a struct embedded inline.
	JSON   string `json:"json,omitempty"`
	GoName string `json:"go"`
	// Proto is the field's name in the protobuf message (may differ from JSON in case).
	Proto  string `json:"proto"`
	Number int    `json:"number"`
	// Wire is the wire type written by gogo's generated code: varint, bytes, fixed32, fixed64.
	Wire string `json:"wire"`
	// Type is the protobuf scalar type, or "message" (then Ref names the definition).
	Type     string `json:"type"`
	Ref      string `json:"ref,omitempty"`
	Repeated bool   `json:"repeated,omitempty"`
	// Map fields are repeated {key=1, value=2} entries.
	Map       *MapEntry `json:"map,omitempty"`
	Pointer   bool      `json:"pointer,omitempty"`
	OmitEmpty bool      `json:"omitempty,omitempty"`
	// Inline is true for a Go struct embedded with `json:",inline"`: its JSON properties are
	// the embedding object's, its protobuf message a nested field.
	Inline bool `json:"inline,omitempty"`
	// TagWire is the wire type the struct tag states, when it differs from Wire (gogo's tags
	// say "bytes" for some scalars that it encodes as varints).
	TagWire string `json:"tagWire,omitempty"`
	// TagLabel is the tag's "rep" on a field that is not repeated in Go or in the
	// generated.proto (SubjectRulesReviewStatus.incomplete).
	TagLabel string `json:"tagLabel,omitempty"`
}

// MapEntry describes a map field's key and value.
type MapEntry struct {
	Key       string `json:"key"`
	Value     string `json:"value"`
	ValueRef  string `json:"valueRef,omitempty"`
	ValueWire string `json:"valueWire"`
}

var specials = map[reflect.Type]struct {
	name   string
	fields []*Field
}{
	reflect.TypeOf(metav1.Time{}): {"time", []*Field{
		{GoName: "Seconds", Proto: "seconds", Number: 1, Wire: "varint", Type: "int64"},
		{GoName: "Nanos", Proto: "nanos", Number: 2, Wire: "varint", Type: "int32"},
	}},
	reflect.TypeOf(metav1.MicroTime{}): {"microTime", []*Field{
		{GoName: "Seconds", Proto: "seconds", Number: 1, Wire: "varint", Type: "int64"},
		{GoName: "Nanos", Proto: "nanos", Number: 2, Wire: "varint", Type: "int32"},
	}},
	reflect.TypeOf(resource.Quantity{}): {"quantity", []*Field{
		{GoName: "String", Proto: "string", Number: 1, Wire: "bytes", Type: "string"},
	}},
	reflect.TypeOf(intstr.IntOrString{}): {"intOrString", []*Field{
		{GoName: "Type", Proto: "type", Number: 1, Wire: "varint", Type: "int64"},
		{GoName: "IntVal", Proto: "intVal", Number: 2, Wire: "varint", Type: "int32"},
		{GoName: "StrVal", Proto: "strVal", Number: 3, Wire: "bytes", Type: "string"},
	}},
	reflect.TypeOf(runtime.RawExtension{}): {"rawExtension", []*Field{
		{GoName: "Raw", Proto: "raw", Number: 1, Wire: "bytes", Type: "bytes"},
	}},
	reflect.TypeOf(metav1.FieldsV1{}): {"fieldsV1", []*Field{
		{GoName: "Raw", Proto: "Raw", Number: 1, Wire: "bytes", Type: "bytes"},
	}},
	reflect.TypeOf(metav1.Duration{}): {"duration", []*Field{
		{GoName: "Duration", Proto: "duration", Number: 1, Wire: "varint", Type: "int64"},
	}},
	reflect.TypeOf(apiextensionsv1.JSON{}): {"json", []*Field{
		{GoName: "Raw", Proto: "raw", Number: 1, Wire: "bytes", Type: "bytes"},
	}},
}

var typeMetaType = reflect.TypeOf(metav1.TypeMeta{})

// definitionName is the OpenAPI name: the Go package path reversed at its host, then the type.
func definitionName(t reflect.Type) string {
	pkg := t.PkgPath()
	host, rest, _ := strings.Cut(pkg, "/")
	labels := strings.Split(host, ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".") + "." + strings.ReplaceAll(rest, "/", ".") + "." + t.Name()
}

// messageName is gogo's protobuf package (the Go path with '/' as '.' and '-' as '_') and
// the type.
func messageName(t reflect.Type) string {
	return strings.NewReplacer("/", ".", "-", "_").Replace(t.PkgPath()) + "." + t.Name()
}

type walker struct {
	defs map[string]*Definition
	err  []string
}

func deref(t reflect.Type) (reflect.Type, bool) {
	if t.Kind() == reflect.Pointer {
		return t.Elem(), true
	}
	return t, false
}

// scalar gives the protobuf type and wire type of a Go scalar kind.
func scalar(t reflect.Type) (string, string, bool) {
	switch t.Kind() {
	case reflect.String:
		return "string", "bytes", true
	case reflect.Bool:
		return "bool", "varint", true
	case reflect.Int32:
		return "int32", "varint", true
	case reflect.Int64, reflect.Int:
		return "int64", "varint", true
	case reflect.Uint32:
		return "uint32", "varint", true
	case reflect.Uint64:
		return "uint64", "varint", true
	case reflect.Float64:
		return "double", "fixed64", true
	case reflect.Float32:
		return "float", "fixed32", true
	}
	return "", "", false
}

// elemType gives (type, wire, ref) of a value of Go type t inside a message.
func (w *walker) elemType(t reflect.Type, where string) (string, string, string) {
	t, _ = deref(t)
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return "bytes", "bytes", ""
	}
	if typ, wire, ok := scalar(t); ok {
		return typ, wire, ""
	}
	if t.Kind() == reflect.Slice && t.Name() != "" {
		return "message", "bytes", w.wrapper(t, where)
	}
	if t.Kind() == reflect.Struct {
		return "message", "bytes", w.visit(t)
	}
	w.err = append(w.err, fmt.Sprintf("%s: unsupported Go type %s", where, t))
	return "?", "?", ""
}

// wrapper records a named slice type (metav1.Verbs, authentication ExtraValue): gogo writes
// it as a message whose field 1 repeats the items, where JSON has a plain array.
func (w *walker) wrapper(t reflect.Type, where string) string {
	name := definitionName(t)
	if _, seen := w.defs[name]; seen {
		return name
	}
	def := &Definition{Message: messageName(t), Special: "repeatedWrapper"}
	w.defs[name] = def
	typ, wire, ref := w.elemType(t.Elem(), where+" item")
	def.Fields = []*Field{{GoName: "Items", Proto: "items", Number: 1, Wire: wire, Type: typ, Ref: ref, Repeated: true}}
	return name
}

func (w *walker) visit(t reflect.Type) string {
	name := definitionName(t)
	if _, seen := w.defs[name]; seen {
		return name
	}
	def := &Definition{Message: messageName(t), Fields: []*Field{}}
	w.defs[name] = def
	if special, ok := specials[t]; ok {
		def.Special = special.name
		def.Fields = special.fields
		return name
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		jsonTag := f.Tag.Get("json")
		if jsonTag == "-" {
			continue
		}
		jsonName, opts, _ := strings.Cut(jsonTag, ",")
		inline := f.Anonymous && strings.Contains(","+opts+",", ",inline,")
		if f.Type == typeMetaType {
			def.TypeMeta = true
			continue
		}
		tag := f.Tag.Get("protobuf")
		where := name + "." + f.Name
		if tag == "" {
			w.err = append(w.err, where+": no protobuf tag")
			continue
		}
		parts := strings.Split(tag, ",")
		number, err := strconv.Atoi(parts[1])
		if err != nil {
			w.err = append(w.err, where+": bad protobuf tag "+tag)
			continue
		}
		field := &Field{
			JSON:      jsonName,
			GoName:    f.Name,
			Number:    number,
			Repeated:  parts[2] == "rep",
			OmitEmpty: strings.Contains(","+opts+",", ",omitempty,"),
			Inline:    inline,
		}
		if inline {
			field.JSON = ""
		}
		// Some tags leave out the label (`bytes,1,name=requests`).
		for _, p := range parts[2:] {
			if v, ok := strings.CutPrefix(p, "name="); ok {
				field.Proto = v
			}
		}
		if field.Proto == "" {
			// `bytes,1,req` (EphemeralContainer's inline struct): go-to-protobuf names the
			// field after the Go field, first letter lowered.
			field.Proto = strings.ToLower(f.Name[:1]) + f.Name[1:]
		}
		ft, pointer := deref(f.Type)
		field.Pointer = pointer
		switch {
		case ft.Kind() == reflect.Map:
			kt, _, _ := w.elemType(ft.Key(), where+" key")
			vt, vw, vref := w.elemType(ft.Elem(), where+" value")
			field.Map = &MapEntry{Key: kt, Value: vt, ValueRef: vref, ValueWire: vw}
			field.Type, field.Wire, field.Repeated = "message", "bytes", true
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() != reflect.Uint8 && (ft.Name() == "" || field.Repeated):
			field.Type, field.Wire, field.Ref = w.elemType(ft.Elem(), where)
			field.Repeated = true
		default:
			// Repeated or not is the Go type's say: a few tags say "rep" on a scalar.
			if field.Repeated {
				field.Repeated, field.TagLabel = false, "rep"
			}
			field.Type, field.Wire, field.Ref = w.elemType(ft, where)
		}
		if parts[0] != field.Wire {
			field.TagWire = parts[0]
		}
		def.Fields = append(def.Fields, field)
	}
	sort.Slice(def.Fields, func(i, j int) bool { return def.Fields[i].Number < def.Fields[j].Number })
	return name
}

// build walks the schemes and returns the definitions, or the problems found.
func build() (map[string]*Definition, []string, error) {
	all := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		scheme.AddToScheme, apiextensionsv1.AddToScheme, apiregistrationv1.AddToScheme,
	} {
		if err := add(all); err != nil {
			return nil, nil, fmt.Errorf("building the scheme: %w", err)
		}
	}
	w := &walker{defs: map[string]*Definition{}}
	roots := []reflect.Type{
		// meta/v1 types served by every group but registered under no scheme name here.
		reflect.TypeOf(metav1.Status{}), reflect.TypeOf(metav1.APIGroupList{}),
		reflect.TypeOf(metav1.APIResourceList{}), reflect.TypeOf(metav1.APIVersions{}),
		reflect.TypeOf(metav1.WatchEvent{}), reflect.TypeOf(metav1.DeleteOptions{}),
		reflect.TypeOf(metav1.MicroTime{}), reflect.TypeOf(metav1.Patch{}),
	}
	for _, t := range all.AllKnownTypes() {
		roots = append(roots, t)
	}
	for _, t := range roots {
		// InternalEvent is registered for watch decoding in-process; it is never serialized.
		if t.Kind() != reflect.Struct || t.PkgPath() == "" || t == reflect.TypeOf(metav1.InternalEvent{}) {
			continue
		}
		// Internal (unversioned) types have no protobuf tags; skip their packages.
		if strings.HasSuffix(t.PkgPath(), "/internalversion") {
			continue
		}
		w.visit(t)
	}
	sort.Strings(w.err)
	return w.defs, w.err, nil
}

func main() {
	defs, problems, err := build()
	if err != nil {
		fmt.Fprintln(os.Stderr, "protofields:", err)
		os.Exit(1)
	}
	for _, problem := range problems {
		fmt.Fprintln(os.Stderr, "protofields:", problem)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
	out, err := json.MarshalIndent(Table{
		Comment:     "Generated by tools/protofields (scripts/protofields.sh); do not edit.",
		Source:      "k8s.io/api, k8s.io/apimachinery, k8s.io/apiextensions-apiserver, k8s.io/kube-aggregator v0.35.8",
		Definitions: defs,
	}, "", " ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "protofields: encoding the table:", err)
		os.Exit(1)
	}
	os.Stdout.Write(append(out, '\n'))
}
