//! Writing gateway-made answers (problem+json) to the client.

use bytes::Bytes;
use canongate_policy::problem::{self, Problem};
use pingora::http::ResponseHeader;
use pingora::proxy::Session;

/// How the connection goes on after a gateway-made answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// The client may send its next request on it.
    KeepAlive,
    /// Close it: the request's framing cannot be trusted, or an unread body follows.
    Close,
}

/// Sends `problem` with the request id and any extra headers, ending the response.
pub async fn send_problem(
    session: &mut Session,
    problem: Problem,
    request_id: &str,
    extra_headers: &[(&'static str, &str)],
    connection: Connection,
) -> pingora::Result<()> {
    let status = problem.status;
    let body = Bytes::from(problem.with_request_id(request_id).to_json());
    let mut header = ResponseHeader::build(status, Some(4 + extra_headers.len()))?;
    header.insert_header(http::header::CONTENT_TYPE, problem::CONTENT_TYPE)?;
    header.insert_header(http::header::CONTENT_LENGTH, body.len())?;
    header.insert_header(http::header::CACHE_CONTROL, "no-store")?;
    if !request_id.is_empty() {
        header.insert_header("x-request-id", request_id)?;
    }
    for (name, value) in extra_headers {
        header.insert_header(*name, *value)?;
    }
    if connection == Connection::Close {
        session.set_keepalive(None);
        header.insert_header(http::header::CONNECTION, "close")?;
    }
    session
        .write_response_header(Box::new(header), false)
        .await?;
    session.write_response_body(Some(body), true).await
}
