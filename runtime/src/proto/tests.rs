//! Tests over bodies built as the API server writes them, and mutations of them.

use super::*;
use crate::types::{IntOrString, ListMeta, ObjectMeta, Quantity, Status, Str, Time};

/// A minimal protobuf writer for building test bodies.
#[derive(Default, Clone)]
struct Writer(Vec<u8>);

impl Writer {
    fn varint(mut self, mut value: u64) -> Self {
        while value >= 0x80 {
            self.0.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
        self
    }
    fn key(self, number: u64, wire: u64) -> Self {
        self.varint(number << 3 | wire)
    }
    fn int(self, number: u64, value: i64) -> Self {
        self.key(number, 0).varint(value as u64)
    }
    fn bytes(self, number: u64, value: &[u8]) -> Self {
        let mut this = self.key(number, 2).varint(value.len() as u64);
        this.0.extend_from_slice(value);
        this
    }
    fn string(self, number: u64, value: &str) -> Self {
        self.bytes(number, value.as_bytes())
    }
    fn message(self, number: u64, value: Writer) -> Self {
        self.bytes(number, &value.0)
    }
    fn entry(self, number: u64, key: &str, value: &str) -> Self {
        self.message(number, Writer::default().string(1, key).string(2, value))
    }
}

fn envelope(api_version: &str, kind: &str, raw: Writer) -> Vec<u8> {
    let unknown = Writer::default()
        .message(1, Writer::default().string(1, api_version).string(2, kind))
        .message(2, raw)
        .string(3, "")
        .string(4, "");
    [MAGIC.as_slice(), &unknown.0].concat()
}

/// ObjectMeta as gogo writes it: every non-pointer field, even empty ones.
fn object_meta() -> Writer {
    let owner = Writer::default()
        .string(1, "ReplicaSet")
        .string(3, "web-abc")
        .string(4, "uid-owner")
        .string(5, "apps/v1")
        .int(6, 1)
        .int(7, 0);
    let managed = Writer::default()
        .string(1, "kubectl")
        .string(2, "Update")
        .string(3, "v1")
        .message(4, Writer::default().int(1, 1_700_000_100))
        .string(6, "FieldsV1")
        .message(7, Writer::default().string(1, r#"{"f:metadata":{"f:labels":{}}}"#))
        .string(8, "");
    Writer::default()
        .string(1, "web-abc-1")
        .string(2, "")
        .string(3, "default")
        .string(4, "")
        .string(5, "uid-1")
        .string(6, "42")
        .int(7, 0)
        .message(8, Writer::default().int(1, 1_700_000_000))
        .int(10, 0)
        .entry(11, "app", "web")
        .entry(11, "tier", "front")
        .entry(12, "note", "x")
        .message(13, owner)
        .string(14, "example.com/finalizer")
        .message(17, managed)
        // An unknown field of every wire type, skipped.
        .int(99, 7)
        .string(100, "future")
}

fn pod_body() -> Vec<u8> {
    let spec = Writer::default().string(2, "ignored-by-metadata-decoding");
    envelope("v1", "Pod", Writer::default().message(1, object_meta()).message(2, spec))
}

#[test]
fn object_meta_decodes_as_json_would() {
    let body = pod_body();
    let unknown = decode_envelope(&body).expect("envelope");
    assert_eq!((unknown.api_version.as_str(), unknown.kind.as_str()), ("v1", "Pod"));
    let meta = unknown.decode::<ObjectHead>().expect("metadata").metadata;
    let json: ObjectMeta = serde_json::from_value(serde_json::json!({
        "name": "web-abc-1",
        "namespace": "default",
        "uid": "uid-1",
        "resourceVersion": "42",
        "creationTimestamp": "2023-11-14T22:13:20Z",
        "deletionGracePeriodSeconds": 0,
        "labels": {"app": "web", "tier": "front"},
        "annotations": {"note": "x"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc", "uid": "uid-owner",
            "controller": true, "blockOwnerDeletion": false}],
        "finalizers": ["example.com/finalizer"],
        "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
            "time": "2023-11-14T22:15:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {}}}}]
    }))
    .expect("JSON metadata");
    assert_eq!(meta, json);
}

#[test]
fn list_meta_and_items_decode() {
    let item = Writer::default().message(1, Writer::default().string(1, "a"));
    let list = Writer::default()
        .message(1, Writer::default().string(1, "").string(2, "77").string(3, "token").int(4, 5))
        .message(2, item.clone())
        .message(2, item);
    let body = envelope("v1", "PodList", list);
    let unknown = decode_envelope(&body).expect("envelope");
    let list = RawList::decode(unknown.raw).expect("list");
    let expected = ListMeta {
        continue_: Some("token".into()),
        remaining_item_count: Some(5),
        resource_version: Some("77".into()),
        self_link: None,
    };
    assert_eq!(list.metadata, expected);
    assert_eq!(list.items.len(), 2);
    let head: ObjectHead = decode_message(list.items[0], 2).expect("item");
    assert_eq!(head.metadata.name(), "a");
}

#[test]
fn status_decodes() {
    let details = Writer::default()
        .string(1, "missing")
        .string(2, "")
        .string(3, "pods")
        .message(4, Writer::default().string(1, "FieldValueRequired").string(2, "required").string(3, "spec"))
        .int(5, 0)
        .string(6, "");
    let status = Writer::default()
        .message(1, Writer::default().string(1, "").string(2, ""))
        .string(2, "Failure")
        .string(3, "pods \"missing\" not found")
        .string(4, "NotFound")
        .message(5, details)
        .int(6, 404);
    let body = envelope("v1", "Status", status);
    let unknown = decode_envelope(&body).expect("envelope");
    assert!(unknown.is_status());
    let status = unknown.decode_status().expect("status");
    let json: Status = serde_json::from_str(
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"missing\" not found",
        "reason":"NotFound","details":{"name":"missing","kind":"pods","causes":[{"reason":"FieldValueRequired",
        "message":"required","field":"spec"}]},"code":404}"#,
    )
    .expect("JSON status");
    assert_eq!(status, json);
}

/// A message holding one special-type field at number 1.
#[derive(Default)]
struct Specials {
    time: Option<Time>,
    micro: Option<crate::types::MicroTime>,
    quantity: Option<Quantity>,
    int_or_string: Option<IntOrString>,
    raw: Option<crate::types::RawExtension>,
}

impl Message for Specials {
    const NAME: &'static str = "Specials";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            1 => self.time = time(&field, "time")?,
            2 => self.micro = micro_time(&field, "micro")?,
            3 => self.quantity = Some(quantity(&field, "quantity")?),
            4 => self.int_or_string = Some(int_or_string(&field, "intOrString")?),
            5 => self.raw = Some(raw_extension(&field, "raw")?),
            _ => {}
        }
        Ok(())
    }
}

#[test]
fn special_types_decode() {
    let input = Writer::default()
        .message(1, Writer::default().int(1, 1_700_000_000).int(2, 999))
        .message(2, Writer::default().int(1, 1_700_000_000).int(2, 123_456_789))
        .message(3, Writer::default().string(1, "500m"))
        .message(4, Writer::default().int(1, 1).int(2, 0).string(3, "http"))
        .message(5, Writer::default().string(1, r#"{"a":1}"#));
    let decoded: Specials = decode_message(&input.0, 0).expect("specials");
    assert_eq!(decoded.time.map(|time| time.to_string()).as_deref(), Some("2023-11-14T22:13:20Z"));
    assert_eq!(decoded.micro.map(|time| time.to_string()).as_deref(), Some("2023-11-14T22:13:20.123456Z"));
    assert_eq!(decoded.quantity, Some(Quantity(Str::from("500m"))));
    assert_eq!(decoded.int_or_string, Some(IntOrString::String("http".into())));
    assert_eq!(decoded.raw.map(|raw| raw.0), Some(serde_json::json!({"a": 1})));

    // An empty Time is Go's zero time, left out as JSON leaves it out; an int IntOrString.
    let input = Writer::default().bytes(1, &[]).message(4, Writer::default().int(1, 0).int(2, -8));
    let decoded: Specials = decode_message(&input.0, 0).expect("specials");
    assert_eq!(decoded.time, None);
    assert_eq!(decoded.int_or_string, Some(IntOrString::Int(-8)));
}

#[test]
fn errors_name_the_type_and_field() {
    // ownerReferences[0].uid with a varint where a string is declared.
    let meta = Writer::default().message(13, Writer::default().int(4, 1));
    let body = envelope("v1", "Pod", Writer::default().message(1, meta));
    let unknown = decode_envelope(&body).expect("envelope");
    let error = unknown.decode::<ObjectHead>().expect_err("wrong wire type");
    assert_eq!(error.path(), "PartialObjectMetadata.metadata.ObjectMeta.ownerReferences.OwnerReference.uid");
    assert_eq!(
        error.to_string(),
        "decoding protobuf PartialObjectMetadata.metadata.ObjectMeta.ownerReferences.OwnerReference.uid: \
         wire type varint where length-delimited was expected"
    );
    let error = decode_envelope(b"{\"kind\":\"Status\"}").expect_err("JSON is not protobuf");
    assert_eq!(error.kind(), &DecodeErrorKind::MissingMagic);
}

/// `FieldsV1` is JSON text inside protobuf: kept verbatim when it is JSON (surrounding
/// whitespace dropped, as a `RawValue` drops it), an error naming the field when it is not.
#[test]
fn fields_v1_must_be_json() {
    let meta_with = |fields: &str| {
        let managed = Writer::default().string(1, "m").message(7, Writer::default().string(1, fields));
        let body = envelope("v1", "Pod", Writer::default().message(1, Writer::default().message(17, managed)));
        decode_envelope(&body).expect("envelope").decode::<ObjectHead>().map(|head| head.metadata)
    };
    let meta = meta_with(" {\"f:data\":{\"k:{\\\"a\\\":1}\":{}}} ").expect("JSON");
    let fields = meta.managed_fields.as_ref().and_then(|entries| entries[0].fields_v1.as_ref()).expect("fields");
    assert_eq!(fields.as_json(), r#"{"f:data":{"k:{\"a\":1}":{}}}"#);
    let error = meta_with(r#"{"f:data":{},}"#).expect_err("a trailing comma");
    assert_eq!(
        error.path(),
        "PartialObjectMetadata.metadata.ObjectMeta.managedFields.ManagedFieldsEntry.fieldsV1.FieldsV1"
    );
    assert!(matches!(error.kind(), DecodeErrorKind::InvalidJson(message) if message.contains("column 14")), "{error}");
}

#[test]
fn deep_nesting_fails_instead_of_overflowing_the_stack() {
    /// A message whose field 1 is itself.
    #[derive(Default)]
    struct Nested;
    impl Message for Nested {
        const NAME: &'static str = "Nested";
        fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
            if field.number == 1 {
                field.message::<Nested>("inner")?;
            }
            Ok(())
        }
    }
    let mut input = Writer::default();
    for _ in 0..(MAX_DEPTH + 10) {
        input = Writer::default().message(1, input);
    }
    let error = decode_message::<Nested>(&input.0, 0).err().expect("too deep");
    assert_eq!(error.kind(), &DecodeErrorKind::TooDeep(MAX_DEPTH));
}

#[test]
fn watch_frames_split_across_reads() {
    let event = Writer::default().string(1, "ADDED").message(2, Writer::default().bytes(1, &pod_body()));
    let mut stream = Vec::new();
    for _ in 0..3 {
        stream.extend_from_slice(&(event.0.len() as u32).to_be_bytes());
        stream.extend_from_slice(&event.0);
    }
    let mut decoder = FrameDecoder::default();
    let mut events = 0;
    // One byte at a time: a frame is returned only once it has fully arrived.
    for byte in &stream {
        decoder.push(std::slice::from_ref(byte));
        while let Some(frame) = decoder.next_frame().expect("frame") {
            let event = decode_watch_event(&frame).expect("event");
            assert_eq!(event.event_type, "ADDED");
            assert_eq!(event.object.kind, "Pod");
            let head: ObjectHead = event.object.decode().expect("metadata");
            assert_eq!(head.metadata.name(), "web-abc-1");
            events += 1;
        }
    }
    assert_eq!((events, decoder.pending()), (3, 0));

    let mut decoder = FrameDecoder::new(1024);
    decoder.push(&2048u32.to_be_bytes());
    assert_eq!(decoder.next_frame().expect_err("too large").kind(), &DecodeErrorKind::FrameTooLarge(2048));
}

/// Decodes a body as far as the client would: envelope, metadata, list, status, event.
fn decode_everything(body: &[u8]) {
    if let Ok(unknown) = decode_envelope(body) {
        let _ = unknown.decode::<ObjectHead>();
        let _ = unknown.decode_status();
        if let Ok(list) = RawList::decode(unknown.raw) {
            for item in list.items {
                let _ = decode_message::<ObjectHead>(item, 2);
            }
        }
    }
    let _ = decode_watch_event(body);
    let _ = decode_message::<Specials>(body, 0);
}

/// Truncations at every byte, every byte flipped in several ways, and random rewrites: every
/// result is an error or a value, never a panic.
#[test]
fn mutated_bodies_never_panic() {
    let item = Writer::default().message(1, object_meta());
    let list =
        envelope("v1", "PodList", Writer::default().message(1, Writer::default().string(2, "9")).message(2, item));
    let event = Writer::default().string(1, "MODIFIED").message(2, Writer::default().bytes(1, &pod_body()));
    let mut mutations = 0usize;
    for body in [pod_body(), list, event.0] {
        for end in 0..=body.len() {
            decode_everything(&body[..end]);
            mutations += 1;
        }
        for index in 0..body.len() {
            for replacement in [0x00, 0xff, 0x80, 0x7f, body[index] ^ 0x01, body[index].wrapping_add(1)] {
                let mut mutated = body.clone();
                mutated[index] = replacement;
                decode_everything(&mutated);
                mutations += 1;
            }
        }
        let mut rng = fastrand::Rng::with_seed(15);
        for _ in 0..2000 {
            let mut mutated = body.clone();
            for _ in 0..rng.usize(1..5) {
                let index = rng.usize(..mutated.len());
                mutated[index] = rng.u8(..);
            }
            decode_everything(&mutated);
            mutations += 1;
        }
    }
    assert!(mutations > 10_000, "{mutations} mutations");
}

/// An object type that decodes protobuf, for the streaming list decoder.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Named {
    metadata: ObjectMeta,
}

impl Message for Named {
    const NAME: &'static str = "Named";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        if field.number == 1 {
            self.metadata = field.message("metadata")?;
        }
        Ok(())
    }
}

impl crate::Object for Named {
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
    const PROTOBUF: bool = true;
    fn from_protobuf(raw: &[u8]) -> Result<Self, DecodeError> {
        decode_message(raw, 1)
    }
}

fn named_list_body(count: usize) -> Vec<u8> {
    let mut list = Writer::default().message(1, Writer::default().string(2, "91").string(3, "next"));
    for index in 0..count {
        list = list.message(2, Writer::default().message(1, Writer::default().string(1, &format!("item-{index}"))));
    }
    envelope("v1", "ConfigMapList", list)
}

fn stream_decode(body: &[u8], chunk: usize) -> Result<crate::client::ObjectList<Named>, DecodeError> {
    let mut decoder = ListStreamDecoder::<Named>::new();
    for part in body.chunks(chunk.max(1)) {
        decoder.push(part)?;
    }
    decoder.finish()
}

#[test]
fn the_streaming_list_decoder_matches_the_whole_body_in_any_chunks() {
    let body = named_list_body(40);
    let whole = RawList::decode(decode_envelope(&body).expect("envelope").raw).expect("list");
    for chunk in [1, 2, 3, 7, 64, body.len()] {
        let list = stream_decode(&body, chunk).unwrap_or_else(|error| panic!("chunks of {chunk}: {error}"));
        assert_eq!(list.metadata, whole.metadata, "chunks of {chunk}");
        let names: Vec<&str> = list.items.iter().map(|item| item.metadata.name()).collect();
        let expected: Vec<String> = (0..40).map(|index| format!("item-{index}")).collect();
        assert_eq!(names, expected, "chunks of {chunk}");
    }
    let empty = stream_decode(&named_list_body(0), 5).expect("an empty list");
    assert!(empty.items.is_empty() && empty.metadata.continue_.as_deref() == Some("next"));
}

#[test]
fn the_streaming_list_decoder_knows_the_metadata_before_the_items() {
    let body = named_list_body(40);
    let mut decoder = ListStreamDecoder::<Named>::new();
    let mut known_at = None;
    for (index, byte) in body.chunks(1).enumerate() {
        decoder.push(byte).expect("a byte");
        if known_at.is_none() && decoder.metadata().is_some() {
            known_at = Some(index + 1);
        }
    }
    let known_at = known_at.expect("the metadata was decoded");
    assert!(known_at < body.len() / 10, "known after {known_at} of {} bytes", body.len());
    let metadata = decoder.metadata().expect("metadata").clone();
    assert_eq!(metadata.continue_.as_deref(), Some("next"));
    assert_eq!(decoder.finish().expect("a list").metadata, metadata);
    let mut cut = ListStreamDecoder::<Named>::new();
    cut.push(&body[..8]).expect("the first bytes");
    assert!(cut.metadata().is_none(), "not before it has arrived");
}

fn named_items_body(names: &[String]) -> Vec<u8> {
    let mut list = Writer::default().message(1, Writer::default().string(2, "91"));
    for name in names {
        list = list.message(2, Writer::default().message(1, Writer::default().string(1, name)));
    }
    envelope("v1", "ConfigMapList", list)
}

#[test]
fn the_streaming_list_decoder_sizes_the_list_from_its_remaining_bytes() {
    // Items of one size: room for all of them at the first; what is left over is given back.
    let even: Vec<String> = (0..1000).map(|index| format!("item-{index:05}")).collect();
    let list = stream_decode(&named_items_body(&even), usize::MAX).expect("a list");
    assert_eq!(list.items.len(), 1000);
    assert!(list.items.capacity() <= 1000 + 1000 / 16, "capacity {}", list.items.capacity());
    // A small first item over-estimates: the room left over is given back.
    let mut growing = vec!["a".to_owned()];
    growing.extend((1..1000).map(|index| format!("a-much-longer-name-than-the-first-{index:05}")));
    let list = stream_decode(&named_items_body(&growing), 4096).expect("a list");
    assert_eq!(list.items.len(), 1000);
    assert!(list.items.capacity() <= 1000 + 1000 / 16, "capacity {}", list.items.capacity());
    // A large first item under-estimates: the list is sized again from the average so far.
    let mut shrinking = vec!["b".repeat(5000)];
    shrinking.extend((1..1000).map(|index| format!("b-{index:05}")));
    let list = stream_decode(&named_items_body(&shrinking), 700).expect("a list");
    let names: Vec<&str> = list.items.iter().map(|item| item.metadata.name()).collect();
    assert_eq!(names.len(), 1000);
    assert_eq!(names[999], "b-00999");
    assert!(list.items.capacity() <= 1000 + 1000 / 16, "capacity {}", list.items.capacity());
}

#[test]
fn the_streaming_list_decoder_matches_the_whole_body_in_chunks_of_random_sizes() {
    // Names from 1 to 400 bytes: lengths of one and two bytes, so chunks cut keys, lengths
    // and values alike.
    let names: Vec<String> = (0..300).map(|index| "n".repeat(1 + index * 37 % 400)).collect();
    let body = named_items_body(&names);
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..200 {
        let mut decoder = ListStreamDecoder::<Named>::new();
        let mut rest = body.as_slice();
        while !rest.is_empty() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let size = (1 + rng % 700) as usize;
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            decoder.push(chunk).expect("a chunk");
            rest = tail;
        }
        let list = decoder.finish().expect("a list");
        assert_eq!(list.metadata.resource_version.as_deref(), Some("91"));
        let decoded: Vec<&str> = list.items.iter().map(|item| item.metadata.name()).collect();
        assert_eq!(decoded, names);
    }
}

#[test]
fn a_list_claiming_more_bytes_than_any_memory_holds_is_refused_without_aborting() {
    // The list message's length says 2^60 bytes; one small item follows, then the body ends.
    let item = Writer::default().message(2, Writer::default().message(1, Writer::default().string(1, "x")));
    for claimed in [1u64 << 60, 1 << 40, (1 << 33) + 7] {
        let unknown = Writer::default().key(2, 2).varint(claimed);
        let body = [MAGIC.as_slice(), &unknown.0, &item.0].concat();
        let error = stream_decode(&body, 3).expect_err("a cut body");
        assert_eq!(error.kind(), &DecodeErrorKind::Truncated, "claimed {claimed}: {error}");
    }
}

#[test]
fn the_streaming_list_decoder_refuses_cut_and_broken_bodies_without_panicking() {
    let body = named_list_body(3);
    // The last 4 bytes are the envelope's empty contentEncoding and contentType, which a body
    // may leave out: cuts there are whole bodies.
    for end in 0..body.len() - 4 {
        assert!(stream_decode(&body[..end], 5).is_err(), "cut at {end} of {}", body.len());
    }
    let mut rng = 0x2545_f491_u64;
    for _ in 0..3000 {
        let mut mutated = body.clone();
        for _ in 0..3 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let index = (rng % mutated.len() as u64) as usize;
            mutated[index] = (rng >> 32) as u8;
        }
        let _ = stream_decode(&mutated, (rng % 9) as usize + 1);
    }
    assert!(stream_decode(b"{\"items\":[]}", 4).is_err(), "JSON is not protobuf");
}
