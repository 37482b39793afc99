"""Live job progress over a websocket (R28).

On connect the browser gets the job's current state at once, so reopening a page (or the
browser) shows where the job is; then every change the events consumer publishes.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.jobs.live import job_group, job_state, unwatch, viewer_group, watch
from apps.jobs.models import Job
from apps.sharing.access import visible_to

ACCESS_REVOKED = 4403


class JobProgressConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.job_id = self.scope["url_route"]["kwargs"]["job_id"]
        state = await self._visible_state()
        if state is None:
            await self.close(code=4404)
            return
        self.groups_joined = [job_group(self.job_id), viewer_group(self.scope["user"].pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await sync_to_async(watch)(self.job_id, self.channel_name)
        await self.accept()
        await self.send_json(state)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if hasattr(self, "groups_joined"):
            await sync_to_async(unwatch)(self.job_id, self.channel_name)

    async def job_state(self, message: dict) -> None:
        await self.send_json(message["state"])

    async def access_changed(self, message: dict) -> None:
        """A grant of this user changed: close the page's feed if the job is no longer visible."""
        if await self._visible_state() is None:
            await self.close(code=ACCESS_REVOKED)

    @database_sync_to_async
    def _visible_state(self) -> dict | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        job = visible_to(user, Job).filter(pk=self.job_id).defer("esdl").first()
        return job_state(job) if job else None
