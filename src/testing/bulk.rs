//! Many tokens at once, signed on every core: load tests and benchmarks
//! want tens of thousands, and RSA signing is the slow part.

use crate::error::{Error, Result};

use super::{MockPool, TokenBuilder};

impl MockPool {
    /// `count` access tokens, the `n`-th shaped by `shape(n, builder)`,
    /// signed on every core, in order.
    ///
    /// ```
    /// # async fn demo() -> cognito_auth::Result<()> {
    /// use cognito_auth::testing::MockPool;
    ///
    /// let pool = MockPool::start().await?;
    /// let tokens = pool.access_tokens(100, |n, token| token.username(format!("user{n}")))?;
    /// assert_eq!(tokens.len(), 100);
    /// # Ok(())
    /// # }
    /// ```
    pub fn access_tokens<F>(&self, count: usize, shape: F) -> Result<Vec<String>>
    where
        F: Fn(usize, TokenBuilder) -> TokenBuilder + Sync,
    {
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = count.div_ceil(workers).max(1);
        let shape = &shape;
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..count)
                .step_by(chunk)
                .map(|start| {
                    scope.spawn(move || {
                        (start..count.min(start + chunk))
                            .map(|n| shape(n, self.access_token()).sign())
                            .collect::<Result<Vec<_>>>()
                    })
                })
                .collect();
            let mut tokens = Vec::with_capacity(count);
            for handle in handles {
                let part = handle
                    .join()
                    .map_err(|_| Error::config("a token-signing thread panicked"))??;
                tokens.extend(part);
            }
            Ok(tokens)
        })
    }
}
