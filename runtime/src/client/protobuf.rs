//! Requests answered in Kubernetes protobuf, for the types that decode it.
//!
//! A type decodes protobuf when [`Object::PROTOBUF`] says so (built-in types of a crate built
//! with its `protobuf` feature, and `PartialObjectMetadata`) and the client allows it
//! ([`Config::protobuf`], on by default). Metadata-only types ([`Object::METADATA_ONLY`]) ask
//! for the server's conversion, in protobuf or JSON. Such requests accept protobuf first and
//! JSON second; the response's `Content-Type` says which came back, so a server (or an
//! aggregated API) that cannot encode protobuf still answers, in JSON. Creates and replaces
//! of types with an encoder ([`Object::to_protobuf`]) send a protobuf body; patches stay
//! JSON, as every patch format is.
//!
//! [`Config::protobuf`]: crate::config::Config::protobuf

use reqwest::header::CONTENT_TYPE;

use super::{Client, Error, ObjectList, Request, decode, read_body, transport_error};
use crate::proto::{self, ListStreamDecoder};
use crate::resource::Object;
use crate::types::ListMeta;

/// The `Accept` header of requests for types that decode protobuf.
pub const PROTOBUF_ACCEPT: &str = "application/vnd.kubernetes.protobuf, application/json";

// Metadata-only requests ask for the conversion in protobuf, then in JSON, then the object as
// it is (which an old server or an aggregated API may be left to send), as client-go's
// metadata client does (`metadata/metadata.go`).
const METADATA_PROTOBUF_ACCEPT: &str = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json";
const METADATA_LIST_PROTOBUF_ACCEPT: &str = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json";
const METADATA_JSON_ACCEPT: &str = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json";
const METADATA_LIST_JSON_ACCEPT: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json";

/// What a request's answer is, for choosing its `Accept` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// One object (get, create, replace, patch) or a watch's events.
    Object,
    /// A list.
    List,
}

/// Whether a response's `Content-Type` is Kubernetes protobuf (not a watch stream).
pub(crate) fn is_protobuf(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(';').next().is_some_and(|media| media.trim() == proto::CONTENT_TYPE))
}

fn decode_error<T>(method: &str, url: &str, error: &proto::DecodeError) -> Error {
    Error::Decode {
        method: method.to_owned(),
        url: url.to_owned(),
        what: std::any::type_name::<T>(),
        message: format!("protobuf: {error}"),
    }
}

/// Decodes one object from a protobuf body (`k8s\0`, envelope, the object's message).
pub(crate) fn decode_object<K: Object>(bytes: &[u8], method: &str, url: &str) -> Result<K, Error> {
    let envelope = proto::decode_envelope(bytes).map_err(|error| decode_error::<K>(method, url, &error))?;
    K::from_protobuf(envelope.raw).map_err(|error| decode_error::<K>(method, url, &error))
}

impl Client {
    /// Whether requests for `K` ask for protobuf.
    pub fn asks_protobuf<K: Object>(&self) -> bool {
        K::PROTOBUF && self.inner.config.protobuf
    }

    /// `request` with `object` as its body (a create or replace): protobuf when `K` has an
    /// encoder and requests for it ask for protobuf, else JSON.
    pub(crate) fn with_object_body<K: Object>(&self, request: Request, object: &K) -> Result<Request, Error> {
        if self.asks_protobuf::<K>()
            && let Some(bytes) = object.to_protobuf()
        {
            return Ok(request.body(bytes, proto::CONTENT_TYPE));
        }
        Ok(request.json(serde_json::to_vec(object).map_err(Error::Encode)?))
    }

    /// The `Accept` header of a request whose answer is `K` (or a list of `K`): protobuf
    /// first when `K` decodes it, the metadata conversion for metadata-only types, `None` for
    /// plain JSON.
    pub fn accept_for<K: Object>(&self, answer: Answer) -> Option<&'static str> {
        match (K::METADATA_ONLY, self.asks_protobuf::<K>(), answer) {
            (false, false, _) => None,
            (false, true, _) => Some(PROTOBUF_ACCEPT),
            (true, true, Answer::Object) => Some(METADATA_PROTOBUF_ACCEPT),
            (true, true, Answer::List) => Some(METADATA_LIST_PROTOBUF_ACCEPT),
            (true, false, Answer::Object) => Some(METADATA_JSON_ACCEPT),
            (true, false, Answer::List) => Some(METADATA_LIST_JSON_ACCEPT),
        }
    }

    /// Sends a request whose answer is one `K`: in protobuf when `K` decodes it and the
    /// server agrees, else JSON.
    pub async fn request_object<K: Object>(&self, mut request: Request) -> Result<K, Error> {
        let Some(accept) = self.accept_for::<K>(Answer::Object) else {
            return self.request(request).await;
        };
        request = request.accept(accept);
        let method = request.method.to_string();
        let url = self.display_url(&request.path);
        let response = self.send(request).await?;
        let protobuf = is_protobuf(&response);
        let bytes = read_body(response).await.map_err(|source| transport_error(&method, &url, source))?;
        if protobuf { decode_object(&bytes, &method, &url) } else { decode(&bytes, &method, &url) }
    }

    /// Sends a list request for `K`: in protobuf when `K` decodes it and the server agrees,
    /// else JSON; either way each item is decoded as soon as it has arrived
    /// ([`ListStreamDecoder`], [`Client::request_list`]'s `ListDecoder`).
    pub async fn request_object_list<K: Object>(&self, request: Request) -> Result<ObjectList<K>, Error> {
        self.request_object_list_with(request, |_| ()).await
    }

    /// [`Client::request_object_list`], calling `on_metadata` with the list's metadata (its
    /// continue token) as soon as it is known: for a protobuf list, when it has arrived, before
    /// the items (the server writes it first); for a JSON list, once the whole list is decoded.
    /// It is not called when the request fails first.
    pub async fn request_object_list_with<K: Object>(
        &self,
        mut request: Request,
        on_metadata: impl FnOnce(&ListMeta) + Send,
    ) -> Result<ObjectList<K>, Error> {
        let Some(accept) = self.accept_for::<K>(Answer::List) else {
            let list = self.request_list(request).await?;
            on_metadata(&list.metadata);
            return Ok(list);
        };
        request = request.accept(accept);
        let method = request.method.to_string();
        let url = self.display_url(&request.path);
        let mut response = self.send(request).await?;
        if !is_protobuf(&response) {
            let list = self.decode_list_response(response, &method, &url).await?;
            on_metadata(&list.metadata);
            return Ok(list);
        }
        let mut decoder = ListStreamDecoder::<K>::new();
        let mut on_metadata = Some(on_metadata);
        loop {
            let chunk = response.chunk().await.map_err(|source| transport_error(&method, &url, source))?;
            let Some(chunk) = chunk else { break };
            decoder.push(&chunk).map_err(|error| decode_error::<ObjectList<K>>(&method, &url, &error))?;
            if let Some(metadata) = decoder.metadata()
                && let Some(call) = on_metadata.take()
            {
                call(metadata);
            }
        }
        let list = decoder.finish().map_err(|error| decode_error::<ObjectList<K>>(&method, &url, &error))?;
        if let Some(call) = on_metadata.take() {
            call(&list.metadata);
        }
        Ok(list)
    }
}
