"""Fixtures of the collections tests: an SMTP server on 127.0.0.1 (aiosmtpd, in a thread of the
test process) with Django's SMTP backend pointed at it."""

import socket
import threading

import pytest
from aiosmtpd.controller import Controller


class Sink:
    """Keeps every message as the server received it (dot-stuffing undone) and counts the
    connections made to it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[bytes, list[str]]] = []
        self.sessions: set[int] = set()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.sessions.add(id(session))
            self.messages.append((envelope.content, list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def smtp_sink(settings):
    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield sink
    controller.stop()
