//! A time limit on reading a whole request body. tower-http's body timeout restarts with every
//! piece that arrives, so a client sending a byte now and then could hold a connection for
//! weeks; this one counts from the moment the request is routed.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;

/// Why a body read failed: it was still arriving when its time ran out.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub struct BodyTooSlow(Duration);

/// Gives `request`'s body `limit` in all to arrive; reading it fails after that.
pub fn limit_body_time(request: Request, limit: Duration) -> Request {
    request.map(|body| {
        Body::new(DeadlineBody {
            inner: body,
            deadline: Box::pin(tokio::time::sleep(limit)),
            limit,
        })
    })
}

struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
    limit: Duration,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        // What has arrived is taken first, so a body that is there in time is never refused.
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTooSlow(self.limit))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use http_body_util::BodyExt;

    /// A body whose pieces arrive `every` apart, `pieces` of them.
    fn trickle(every: Duration, pieces: usize) -> Request {
        let stream = futures::stream::iter(0..pieces).then(move |_| async move {
            tokio::time::sleep(every).await;
            Ok::<_, std::io::Error>(Bytes::from_static(b"x"))
        });
        Request::new(Body::from_stream(stream))
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_still_arriving_when_time_is_up_fails_however_steadily_it_comes() {
        let request = limit_body_time(trickle(Duration::from_secs(20), 4), Duration::from_secs(30));

        let read = request.into_body().collect().await;

        let error = read.expect_err("a body taking 80 s was read whole");
        assert!(
            error.to_string().contains("did not arrive within 30s"),
            "{error}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_arrives_in_time_is_read_whole() {
        let request = limit_body_time(trickle(Duration::from_secs(5), 4), Duration::from_secs(30));

        let read = request.into_body().collect().await.unwrap().to_bytes();

        assert_eq!(&read[..], b"xxxx");
    }
}
