//! `ListerWatcher`: the two requests a reflector makes, behind a trait so that the reflector's
//! state machine can be driven by scripted responses in tests.

use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use tokio::sync::oneshot;

use crate::client::params::{ListParams, WatchParams};
use crate::client::{Api, Error, ObjectList, ServerVersion};
use crate::resource::{Object, verbs};
use crate::watch::WatchEvent;

/// A stream of watch events.
pub type EventStream<K> = BoxStream<'static, Result<WatchEvent<K>, Error>>;

/// Lists and watches one kind of object.
pub trait ListerWatcher<K>: Send + Sync + 'static {
    /// Lists (one page, per `params`).
    fn list(&self, params: ListParams) -> BoxFuture<'static, Result<ObjectList<K>, Error>>;

    /// Lists one page as [`ListerWatcher::list`] does, and sends the page's continue token
    /// (`None` on the last page) on `next` as soon as it is known, so that the next page can
    /// be asked for while this one is still arriving. Nothing is sent when the page fails.
    ///
    /// The default sends it once the page is complete; [`ApiListerWatcher`] sends it when
    /// the list's metadata has arrived, before the items of a protobuf list.
    fn list_announcing_next(
        &self,
        params: ListParams,
        next: oneshot::Sender<Option<String>>,
    ) -> BoxFuture<'static, Result<ObjectList<K>, Error>>
    where
        K: 'static,
    {
        let page = self.list(params);
        Box::pin(async move {
            let page = page.await?;
            // The receiver may be gone: the reflector asks for the next page either way.
            let _ = next.send(page.continue_token().map(str::to_owned));
            Ok(page)
        })
    }

    /// Opens a watch from `resource_version`.
    fn watch(&self, params: WatchParams, resource_version: String)
    -> BoxFuture<'static, Result<EventStream<K>, Error>>;

    /// What is listed, for logs and errors: `pods in namespace "web"`, `nodes`.
    fn describe(&self) -> String;

    /// The API server's release, for [`Paging::Auto`](super::reflector::Paging::Auto); `None`
    /// when unknown (the default), which pages as older servers need.
    fn server_version(&self) -> BoxFuture<'static, Option<ServerVersion>> {
        Box::pin(async { None })
    }
}

/// Changes the selectors of an informer's lists and watches (client-go's
/// `TweakListOptionsFunc`).
pub type TweakListParams = Arc<dyn Fn(&mut ListParams) + Send + Sync>;

/// The lister-watcher of an [`Api`], with optional selectors.
pub struct ApiListerWatcher<K> {
    api: Api<K>,
    tweak: Option<TweakListParams>,
}

impl<K> ApiListerWatcher<K> {
    /// Lists and watches through `api`, with `tweak` applied to every request's selectors.
    pub fn new(api: Api<K>, tweak: Option<TweakListParams>) -> Self {
        Self { api, tweak }
    }

    /// `params` with the tweak applied.
    fn tweaked(&self, mut params: ListParams) -> ListParams {
        if let Some(tweak) = &self.tweak {
            tweak(&mut params);
        }
        params
    }
}

impl<K: Object + verbs::List + verbs::Watch> ListerWatcher<K> for ApiListerWatcher<K> {
    fn list(&self, params: ListParams) -> BoxFuture<'static, Result<ObjectList<K>, Error>> {
        let params = self.tweaked(params);
        let api = self.api.clone();
        Box::pin(async move { api.list(&params).await })
    }

    fn list_announcing_next(
        &self,
        params: ListParams,
        next: oneshot::Sender<Option<String>>,
    ) -> BoxFuture<'static, Result<ObjectList<K>, Error>> {
        let params = self.tweaked(params);
        let api = self.api.clone();
        Box::pin(async move {
            api.list_with_early_metadata(&params, move |metadata| {
                // The receiver may be gone: the reflector asks for the next page either way.
                let _ = next.send(metadata.continue_.clone().filter(|token| !token.is_empty()));
            })
            .await
        })
    }

    fn watch(
        &self,
        mut params: WatchParams,
        resource_version: String,
    ) -> BoxFuture<'static, Result<EventStream<K>, Error>> {
        if let Some(tweak) = &self.tweak {
            let mut selectors = ListParams::default();
            tweak(&mut selectors);
            params.label_selector = selectors.label_selector;
            params.field_selector = selectors.field_selector;
        }
        let api = self.api.clone();
        Box::pin(async move { Ok(api.watch(&params, &resource_version).await?.boxed()) })
    }

    fn describe(&self) -> String {
        let path = self.api.resource_path();
        let resource = if path.group.is_empty() {
            format!("{}/{}", path.version, path.plural)
        } else {
            format!("{}/{}/{}", path.group, path.version, path.plural)
        };
        match &path.namespace {
            Some(namespace) => format!("{resource} in namespace {namespace:?}"),
            None => resource,
        }
    }

    fn server_version(&self) -> BoxFuture<'static, Option<ServerVersion>> {
        let client = self.api.client().clone();
        let what = self.describe();
        Box::pin(async move {
            client
                .cached_server_version()
                .await
                .inspect_err(|error| tracing::debug!("{what}: the server's release is unknown: {error}"))
                .ok()
        })
    }
}
