"""uvicorn's HTTP/1.1 protocol (httptools) with the request head bounded: its size and its number of header lines.

httptools buffers a header until it is complete, so a 50 MB header would be held in memory before any check in the
app could run; the bytes are counted here, as they arrive, and the connection refused with 431 past the bound."""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 32 * 1024  # request line and headers: a 500-character question percent-encoded is ~4.5 KB
MAX_HEADERS = 100


class HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing a request whose head is over the bounds."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that answers 431 and closes when a request head exceeds MAX_HEAD_BYTES or MAX_HEADERS."""

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_bytes, self._head_size, self._header_count, self._in_head, self._too_large = 0, 0, 0, True, False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size, self._header_count, self._in_head = 0, 0, True

    def _refuse_if_over(self) -> None:
        if self._head_size > MAX_HEAD_BYTES or self._header_count > MAX_HEADERS:
            self._too_large = True
            raise HeadTooLarge  # httptools stops parsing; uvicorn answers a parser error through send_400_response

    def on_url(self, url: bytes) -> None:
        self._head_size += len(url)
        self._refuse_if_over()
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._head_size += len(name) + len(value) + 4  # ": " and CRLF
        self._refuse_if_over()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # the next bytes on this connection begin the next request

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # A head still unfinished after this chunk: its bytes so far are bounded too (httptools holds them in memory).
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self._too_large = True
            self.send_400_response("")

    def send_400_response(self, msg: str) -> None:
        if not self._too_large:
            return super().send_400_response(msg)
        message = b"Request header fields too large"
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(message)).encode() + b"\r\nconnection: close\r\n\r\n" + message
        )
        self.transport.close()
