//! Listings that come in pages (`ListUsers`, `ListGroups`,
//! `AdminListGroupsForUser`, `ListUsersInGroup`, …) as one stream of
//! items that follows the pagination token.

use std::collections::VecDeque;

use futures_util::Stream;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::CognitoClient;
use crate::client::outcome::unexpected;
use crate::error::Result;

/// One listing: the operation, its request, where its items and its
/// next-page token are.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub(crate) operation: &'static str,
    pub(crate) request: Value,
    /// The field holding the page's items, e.g. `Users`.
    pub(crate) items: &'static str,
    /// The token field, `PaginationToken` or `NextToken`, the same name in
    /// the request and the answer.
    pub(crate) token: &'static str,
}

impl CognitoClient {
    /// Any paginated listing, signed, as one stream of its items: the
    /// request, then the same request with each page's token until a page
    /// has none. `items` names the answer's list (`UserPools`,
    /// `UserPoolClients`, `Providers`, …), `token` the token field, the
    /// same in the request and the answer (`NextToken`, `PaginationToken`).
    ///
    /// ```no_run
    /// # async fn demo(cognito: cognito_auth::client::CognitoClient) -> Result<(), cognito_auth::Error> {
    /// use futures_util::TryStreamExt;
    /// use serde_json::{Value, json};
    ///
    /// let pools: Vec<Value> = cognito
    ///     .paginate_signed("ListUserPools", json!({"MaxResults": 60}), "UserPools", "NextToken")
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn paginate_signed<T>(
        &self,
        operation: &'static str,
        request: Value,
        items: &'static str,
        token: &'static str,
    ) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        stream(
            self.clone(),
            Listing {
                operation,
                request,
                items,
                token,
            },
        )
    }
}

struct Pages<T> {
    cognito: CognitoClient,
    listing: Listing,
    next: Option<String>,
    done: bool,
    buffer: VecDeque<T>,
}

/// Every item of a listing, page after page, as signed calls. A page that
/// fails ends the stream with its error; a token that does not advance is
/// an `UnexpectedResponse` error rather than an endless loop.
pub(crate) fn stream<T>(
    cognito: CognitoClient,
    listing: Listing,
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: DeserializeOwned + Send + 'static,
{
    let pages = Pages {
        cognito,
        listing,
        next: None,
        done: false,
        buffer: VecDeque::new(),
    };
    futures_util::stream::try_unfold(pages, |mut pages| async move {
        loop {
            if let Some(item) = pages.buffer.pop_front() {
                return Ok(Some((item, pages)));
            }
            if pages.done {
                return Ok(None);
            }
            pages.fetch().await?;
        }
    })
}

impl<T: DeserializeOwned> Pages<T> {
    async fn fetch(&mut self) -> Result<()> {
        let listing = &self.listing;
        let mut request = listing.request.clone();
        if let (Some(token), Some(object)) = (&self.next, request.as_object_mut()) {
            object.insert(listing.token.to_owned(), Value::String(token.clone()));
        }
        let mut page: Value = self
            .cognito
            .call_signed(listing.operation, &request)
            .await?;
        let items = page
            .get_mut(listing.items)
            .map(Value::take)
            .unwrap_or_else(|| Value::Array(Vec::new()));
        let items: Vec<T> = serde_json::from_value(items).map_err(|err| {
            unexpected(format!(
                "the {} answer's {} do not have the expected shape: {err}",
                listing.operation, listing.items
            ))
        })?;
        let next = page
            .get(listing.token)
            .and_then(Value::as_str)
            .filter(|token| !token.is_empty())
            .map(str::to_owned);
        if next.is_some() && next == self.next {
            return Err(unexpected(format!(
                "the {} answer repeats its {}: the listing does not advance",
                listing.operation, listing.token
            )));
        }
        self.done = next.is_none();
        self.next = next;
        self.buffer.extend(items);
        Ok(())
    }
}
