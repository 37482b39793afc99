"""Django's ASGI handler with the middleware and the view run in one thread hop per request.

Django's own ASGI handler builds the middleware chain for async mode and adapts each part that is
not: ours are sync-only, the last one (django-prometheus's) can do both, so a request went to a
thread for the chain, back to the event loop for the last middleware, and to a thread again for
each of that middleware's two methods and for the view. Each crossing costs futures, locks and a
context copy. No middleware or view of ours is asynchronous, so this handler builds the chain in
sync mode, as the WSGI handler does, and runs it in the request's thread in one crossing.
Everything else (reading the body, the request signals, sending the response, a client's
disconnect) stays Django's. Served by daphne, the load test's pages cost about a tenth less CPU
(bench/README.md).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # thread_sensitive: the request's own thread (Django's ThreadSensitiveContext per
        # request), the one that later closes the response and its database connection.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
