//! The committed protobuf field table (`specs/kubernetes-v1.35-protobuf.json`, written by
//! `scripts/protofields.sh` from the Go types) covers the bundled spec: every property of every
//! definition that has a protobuf message has a protobuf field, directly or through a struct
//! embedded inline. A new Kubernetes version whose table lacks a field fails here, naming it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/kubernetes-v1.35-swagger.json");
const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/kubernetes-v1.35-protobuf.json");

/// Definitions of the spec that are not protobuf messages: `version.Info` (`/version` is
/// JSON only).
const NO_MESSAGE: &[&str] = &["io.k8s.apimachinery.pkg.version.Info"];

fn read(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

/// The JSON names a definition's message carries, following inline (embedded) structs, with
/// the field number path to each (`[2, 5]`: field 5 of the message in field 2).
fn json_fields(table: &BTreeMap<String, Value>, name: &str, path: &mut Vec<u64>, out: &mut BTreeMap<String, Vec<u64>>) {
    let Some(definition) = table.get(name) else { return };
    for field in definition["fields"].as_array().into_iter().flatten() {
        let number = field["number"].as_u64().unwrap_or_default();
        path.push(number);
        if field["inline"].as_bool().unwrap_or(false) {
            let inner = field["ref"].as_str().unwrap_or_default();
            json_fields(table, inner, path, out);
        } else if let Some(json) = field["json"].as_str() {
            out.insert(json.to_owned(), path.clone());
        }
        path.pop();
    }
}

#[test]
fn every_property_of_the_bundled_spec_has_a_protobuf_field() {
    let spec = read(SPEC);
    let table: BTreeMap<String, Value> = serde_json::from_value(read(TABLE)["definitions"].clone())
        .unwrap_or_else(|e| panic!("{TABLE}: definitions: {e}"));
    let definitions = spec["definitions"].as_object().unwrap_or_else(|| panic!("{SPEC}: no definitions"));

    let mut without_message = BTreeSet::new();
    let mut missing = Vec::new();
    let (mut covered_definitions, mut covered_properties, mut through_inline) = (0, 0, 0);
    for (name, definition) in definitions {
        let Some(message) = table.get(name) else {
            without_message.insert(name.as_str());
            continue;
        };
        covered_definitions += 1;
        let mut fields = BTreeMap::new();
        json_fields(&table, name, &mut Vec::new(), &mut fields);
        let type_meta = message["typeMeta"].as_bool().unwrap_or(false);
        for property in definition["properties"].as_object().into_iter().flatten().map(|(key, _)| key) {
            match fields.get(property) {
                Some(path) => {
                    covered_properties += 1;
                    through_inline += usize::from(path.len() > 1);
                }
                // apiVersion and kind travel in the runtime.Unknown envelope.
                None if type_meta && (property == "apiVersion" || property == "kind") => covered_properties += 1,
                None => missing.push(format!("{name}.{property}")),
            }
        }
    }
    println!(
        "{covered_definitions} definitions with a protobuf message, {covered_properties} properties covered \
         ({through_inline} through inline structs); without a message: {without_message:?}"
    );
    assert!(missing.is_empty(), "{} spec properties have no protobuf field: {missing:#?}", missing.len());
    assert_eq!(without_message, NO_MESSAGE.iter().copied().collect(), "definitions without a protobuf message");
}

#[test]
fn inline_structs_and_special_types_are_recorded() {
    let table = read(TABLE);
    let definitions = &table["definitions"];
    let volume = &definitions["io.k8s.api.core.v1.Volume"]["fields"];
    let source = volume.as_array().and_then(|fields| fields.iter().find(|field| field["number"] == 2));
    let source = source.unwrap_or_else(|| panic!("Volume has no field 2"));
    assert_eq!(source["inline"], true);
    assert_eq!(source["ref"], "io.k8s.api.core.v1.VolumeSource");
    assert_eq!(definitions["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["special"], "time");
    assert_eq!(definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["special"], "intOrString");
    // gogo's struct tags say "bytes" for *bool; the table has the wire type gogo writes.
    let container = definitions["io.k8s.api.core.v1.Container"]["fields"].as_array().cloned().unwrap_or_default();
    let stdin = container.iter().find(|field| field["json"] == "stdin");
    let stdin = stdin.unwrap_or_else(|| panic!("Container has no stdin"));
    assert_eq!((stdin["number"].as_u64(), stdin["wire"].as_str()), (Some(16), Some("varint")));
}

/// A protobuf field with `number` and `wire` type 0 (varint) or 2 (length-delimited).
fn encode_field(number: u64, value: &Encoded) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut value: u64) {
        while value >= 0x80 {
            out.push((value as u8) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }
    let mut out = Vec::new();
    match value {
        Encoded::Varint(value) => {
            varint(&mut out, number << 3);
            varint(&mut out, *value);
        }
        Encoded::Bytes(bytes) => {
            varint(&mut out, number << 3 | 2);
            varint(&mut out, bytes.len() as u64);
            out.extend_from_slice(bytes);
        }
    }
    out
}

enum Encoded {
    Varint(u64),
    Bytes(Vec<u8>),
}

/// Decodes `input` as the metav1 type `name` with the runtime's decoder, as its JSON form.
fn decode_as_json(name: &str, input: &[u8]) -> Value {
    use kubegen_runtime::proto::decode_message;
    use kubegen_runtime::types::{ManagedFieldsEntry, OwnerReference, StatusCause, StatusDetails};
    use kubegen_runtime::{ListMeta, ObjectMeta, Status};
    let value = match name {
        "ObjectMeta" => decode_message::<ObjectMeta>(input, 0).map(serde_json::to_value),
        "ListMeta" => decode_message::<ListMeta>(input, 0).map(serde_json::to_value),
        "Status" => decode_message::<Status>(input, 0).map(serde_json::to_value),
        "StatusDetails" => decode_message::<StatusDetails>(input, 0).map(serde_json::to_value),
        "StatusCause" => decode_message::<StatusCause>(input, 0).map(serde_json::to_value),
        "OwnerReference" => decode_message::<OwnerReference>(input, 0).map(serde_json::to_value),
        "ManagedFieldsEntry" => decode_message::<ManagedFieldsEntry>(input, 0).map(serde_json::to_value),
        other => panic!("no decoder for {other}"),
    };
    value.unwrap_or_else(|e| panic!("{name}: {e}")).unwrap_or_else(|e| panic!("{name} as JSON: {e}"))
}

/// The runtime's hand-written metav1 decoders agree with the table: each field, set at the
/// table's number with the table's type, appears under its JSON name; a scalar at its zero
/// value appears only when Go makes it a pointer or not omitempty (gogo writes zero values
/// that JSON leaves out).
#[test]
fn hand_written_meta_decoders_match_the_table() {
    let table = read(TABLE);
    let mut checked = 0;
    for name in
        ["ObjectMeta", "ListMeta", "Status", "StatusDetails", "StatusCause", "OwnerReference", "ManagedFieldsEntry"]
    {
        let definition = &table["definitions"][format!("io.k8s.apimachinery.pkg.apis.meta.v1.{name}")];
        for field in definition["fields"].as_array().unwrap_or_else(|| panic!("{name} has no fields")) {
            let json = field["json"].as_str().unwrap_or_else(|| panic!("{name}: a field without a JSON name"));
            let number = field["number"].as_u64().unwrap_or_else(|| panic!("{name}.{json}: no number"));
            let reference = field["ref"].as_str().unwrap_or_default();
            let (sample, zero) = match (field["type"].as_str(), reference.rsplit('.').next()) {
                (Some("string"), _) => (Encoded::Bytes(b"x".to_vec()), Some(Encoded::Bytes(Vec::new()))),
                (Some("int64" | "int32"), _) => (Encoded::Varint(7), Some(Encoded::Varint(0))),
                (Some("bool"), _) => (Encoded::Varint(1), Some(Encoded::Varint(0))),
                (Some("message"), _) if field["map"].is_object() => {
                    let entry = [
                        encode_field(1, &Encoded::Bytes(b"k".to_vec())),
                        encode_field(2, &Encoded::Bytes(b"v".to_vec())),
                    ];
                    (Encoded::Bytes(entry.concat()), None)
                }
                (Some("message"), Some("Time")) => (Encoded::Bytes(encode_field(1, &Encoded::Varint(1))), None),
                (Some("message"), Some("FieldsV1")) => {
                    (Encoded::Bytes(encode_field(1, &Encoded::Bytes(b"{}".to_vec()))), None)
                }
                // Any other message: an empty one still makes the field present.
                (Some("message"), _) => (Encoded::Bytes(Vec::new()), None),
                (other, _) => panic!("{name}.{json}: unexpected type {other:?}"),
            };
            let decoded = decode_as_json(name, &encode_field(number, &sample));
            assert!(decoded.get(json).is_some(), "{name}.{json} (field {number}) not decoded: {decoded}");
            // An element of a repeated field is present whatever its value.
            let repeated = field["repeated"].as_bool().unwrap_or(false);
            if let Some(zero) = zero.filter(|_| !repeated) {
                let decoded = decode_as_json(name, &encode_field(number, &zero));
                let pointer = field["pointer"].as_bool().unwrap_or(false);
                let omitempty = field["omitempty"].as_bool().unwrap_or(false);
                assert_eq!(
                    decoded.get(json).is_some(),
                    pointer || !omitempty,
                    "{name}.{json} (field {number}) at its zero value: {decoded}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 47, "fields checked");
}
