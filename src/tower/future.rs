//! The response futures.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower::Service;

use crate::web::{Authentication, Reply};

type Verification = Pin<Box<dyn Future<Output = Result<Authentication, Reply>> + Send + 'static>>;

pin_project! {
    /// The future of [`AuthService`](super::AuthService): verification,
    /// then the inner service.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProjection]
    enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        Verifying {
            verification: Verification,
            inner: Option<S>,
            request: Option<Request<B>>,
        },
        Calling {
            #[pin]
            future: S::Future,
        },
        Refused {
            refusal: Option<Reply>,
        },
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    /// Decided: the inner service was called.
    pub(crate) fn calling(future: S::Future) -> Self {
        ResponseFuture {
            state: State::Calling { future },
        }
    }

    /// Decided: refused.
    pub(crate) fn refused(refusal: Reply) -> Self {
        ResponseFuture {
            state: State::Refused {
                refusal: Some(refusal),
            },
        }
    }

    pub(crate) fn new(verification: Verification, inner: S, request: Request<B>) -> Self {
        ResponseFuture {
            state: State::Verifying {
                verification,
                inner: Some(inner),
                request: Some(request),
            },
        }
    }
}

impl<S, B, ResBody> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    ResBody: From<String>,
{
    type Output = Result<Response<ResBody>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                StateProjection::Verifying {
                    verification,
                    inner,
                    request,
                } => {
                    let outcome = ready!(verification.as_mut().poll(cx));
                    let (Some(mut inner), Some(mut request)) = (inner.take(), request.take())
                    else {
                        // Only reachable if polled again after completion.
                        return Poll::Pending;
                    };
                    match outcome {
                        Ok(authentication) => {
                            request.extensions_mut().insert(authentication);
                            let future = inner.call(request);
                            state.set(State::Calling { future });
                        }
                        Err(refusal) => return Poll::Ready(Ok(refusal.into_http())),
                    }
                }
                StateProjection::Calling { future } => return future.poll(cx),
                StateProjection::Refused { refusal } => {
                    return match refusal.take() {
                        Some(refusal) => Poll::Ready(Ok(refusal.into_http())),
                        // Only reachable if polled again after completion.
                        None => Poll::Pending,
                    };
                }
            }
        }
    }
}

pin_project! {
    /// The future of [`RequireService`](super::RequireService): a refusal
    /// ready at once, or the inner service's future.
    pub struct GuardFuture<F, B> {
        #[pin]
        state: GuardState<F, B>,
    }
}

pin_project! {
    #[project = GuardProjection]
    enum GuardState<F, B> {
        Rejected {
            response: Option<Response<B>>,
        },
        Inner {
            #[pin]
            future: F,
        },
    }
}

impl<F, B> GuardFuture<F, B> {
    pub(crate) fn rejected(response: Response<B>) -> Self {
        GuardFuture {
            state: GuardState::Rejected {
                response: Some(response),
            },
        }
    }

    pub(crate) fn inner(future: F) -> Self {
        GuardFuture {
            state: GuardState::Inner { future },
        }
    }
}

impl<F, B, E> Future for GuardFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            GuardProjection::Rejected { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Pending,
            },
            GuardProjection::Inner { future } => future.poll(cx),
        }
    }
}
