//! A paged list with several pages in flight.
//!
//! A page's continue token is in the list's metadata, which the API server writes before the
//! items; [`ListerWatcher::list_announcing_next`] hands it over then. With `in_flight` above
//! one, the next page is asked for at that moment instead of after the last item, so the
//! server encodes (and the client decodes) several pages at once. A list of 50,000 objects
//! is one request of ~0.5 s on one server goroutine at `resourceVersion=0`, which ignores
//! `limit` (`computeListLimit` in k8s.io/apiserver's `storage/cacher/cacher.go`); paged and
//! pipelined, it spreads over the server's cores. Since 1.34 the watch cache answers the
//! continue pages too, from its snapshots (`ListFromCacheSnapshot`, `Cacher::
//! ShouldDelegateContinue`); older servers read them from etcd.
//!
//! Pages are taken in order whatever order they finish in, and the result is the same list
//! as one page at a time: the continue tokens pin every page to the first page's
//! resourceVersion.

use futures::StreamExt;
use futures::stream::FuturesOrdered;
use tokio::sync::oneshot;

use super::listwatch::ListerWatcher;
use crate::client::Error;
use crate::client::params::ListParams;

/// Every page of a list.
pub(super) struct Listed<T> {
    /// The objects of every page, in order.
    pub objects: Vec<T>,
    /// The list's resourceVersion (the last page's).
    pub resource_version: String,
}

/// A page failed.
pub(super) struct PageFailed {
    pub error: Error,
    /// It was a page after the first (asked for with a continue token).
    pub continuing: bool,
}

/// Lists every page from `first` on, with at most `in_flight` pages asked for at once (at
/// least one), passing each object through `prepare` as its page is taken. Dropping the
/// future cancels the pages in flight.
pub(super) async fn list_pages<K: 'static, T>(
    lister_watcher: &dyn ListerWatcher<K>,
    first: ListParams,
    in_flight: usize,
    mut prepare: impl FnMut(K) -> T,
) -> Result<Listed<T>, PageFailed> {
    let in_flight = in_flight.max(1);
    let page_size = first.limit;
    let request = |params: ListParams| {
        let continuing = params.continue_token.is_some();
        let (announce, announced) = oneshot::channel();
        let page = lister_watcher.list_announcing_next(params, announce);
        (async move { page.await.map_err(|error| PageFailed { error, continuing }) }, announced)
    };
    let next_params =
        |token: String| ListParams { limit: page_size, continue_token: Some(token), ..ListParams::default() };

    let mut pages = FuturesOrdered::new();
    let (page, announced) = request(first);
    pages.push_back(page);
    // The continue token of the newest page asked for, once it announces it.
    let mut announced = Some(announced);
    let mut objects = Vec::new();
    loop {
        let room = pages.len() < in_flight;
        // The continue token to ask for the next page with, if one is due now.
        let next = tokio::select! {
            biased;
            token = async { announced.as_mut().expect("checked by the guard").await }, if room && announced.is_some() => {
                announced = None;
                // `Err`: the page failed before knowing its token; its error comes next.
                token.ok().flatten()
            }
            page = pages.next() => {
                // `pages` is never empty here: a page is only taken when one is asked for
                // after it or it is the last.
                let Some(page) = page else { unreachable!("no page in flight") };
                let page = page?;
                let token = page.continue_token().map(str::to_owned);
                let resource_version = page.resource_version().unwrap_or_default().to_owned();
                objects.extend(page.items.into_iter().map(&mut prepare));
                match token {
                    None => return Ok(Listed { objects, resource_version }),
                    // The newest page ended without its token having been taken (announced
                    // late, or not at all): ask for the next page from the token it ended with.
                    Some(token) if pages.is_empty() => Some(token),
                    Some(_) => None,
                }
            }
        };
        if let Some(token) = next {
            let (page, next_announced) = request(next_params(token));
            pages.push_back(page);
            announced = Some(next_announced);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;
    use crate::cache::testing::{Call, Scripted, api_error, list, thing};

    /// Four pages of one object each, `a` to `d`, tokens `t1` to `t3`.
    fn four_pages(script: &Scripted) {
        script.list(Ok(list(10, vec![thing("ns", "a", 1, "")], Some("t1"))));
        script.list(Ok(list(10, vec![thing("ns", "b", 2, "")], Some("t2"))));
        script.list(Ok(list(10, vec![thing("ns", "c", 3, "")], Some("t3"))));
        script.list(Ok(list(10, vec![thing("ns", "d", 4, "")], None)));
    }

    fn first() -> ListParams {
        ListParams { limit: Some(2), ..ListParams::default() }
    }

    fn names(listed: &Listed<String>) -> Vec<&str> {
        listed.objects.iter().map(String::as_str).collect()
    }

    /// Lists the four pages, each taking a second, with `in_flight` pages at once: the seconds
    /// it took and when each page was asked for (seconds from the start).
    async fn timed(in_flight: usize) -> (u64, Vec<u64>) {
        let script = Scripted::default();
        script.page_time(Duration::from_secs(1));
        four_pages(&script);
        let started = Instant::now();
        let listed = list_pages(&script, first(), in_flight, |thing| thing.metadata.name().to_owned())
            .await
            .unwrap_or_else(|failed| panic!("{}", failed.error));
        assert_eq!(names(&listed), ["a", "b", "c", "d"], "in order, with {in_flight} in flight");
        assert_eq!(listed.resource_version, "10");
        let asked = script.call_times().iter().map(|time| (*time - started).as_secs()).collect();
        (started.elapsed().as_secs(), asked)
    }

    #[tokio::test(start_paused = true)]
    async fn the_next_page_is_asked_for_when_the_token_arrives_up_to_the_bound() {
        assert_eq!(timed(1).await, (4, vec![0, 1, 2, 3]), "one at a time");
        assert_eq!(timed(2).await, (2, vec![0, 0, 1, 1]), "two at a time");
        assert_eq!(timed(4).await, (1, vec![0, 0, 0, 0]), "all at once");
        assert_eq!(timed(0).await, (4, vec![0, 1, 2, 3]), "0 is taken as 1");
    }

    #[tokio::test(start_paused = true)]
    async fn pages_whose_token_comes_with_the_last_item_are_asked_for_one_by_one() {
        let script = Scripted::default();
        four_pages(&script);
        let listed = list_pages(&script, first(), 3, |thing| thing.metadata.name().to_owned())
            .await
            .unwrap_or_else(|failed| panic!("{}", failed.error));
        assert_eq!(names(&listed), ["a", "b", "c", "d"]);
        let tokens: Vec<Option<String>> = script
            .calls()
            .into_iter()
            .map(|call| match call {
                Call::List { continue_token, limit, .. } => {
                    assert_eq!(limit, Some(2), "every page has the first page's limit");
                    continue_token
                }
                Call::Watch { .. } => panic!("a watch"),
            })
            .collect();
        assert_eq!(tokens, [None, Some("t1".into()), Some("t2".into()), Some("t3".into())]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_page_ends_the_list_and_says_whether_it_continued_one() {
        let script = Scripted::default();
        script.page_time(Duration::from_secs(1));
        script.list(Ok(list(10, vec![thing("ns", "a", 1, "")], Some("t1"))));
        script.list(Err(api_error(410, "Expired")));
        let failed = list_pages(&script, first(), 4, |thing| thing).await.err().expect("the list fails");
        assert!(failed.continuing && failed.error.is_gone(), "{}", failed.error);

        let script = Scripted::default();
        script.list(Err(api_error(500, "InternalError")));
        let failed = list_pages(&script, first(), 4, |thing| thing).await.err().expect("the list fails");
        assert!(!failed.continuing && failed.error.code() == Some(500), "{}", failed.error);
    }
}
