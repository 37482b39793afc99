"""Signals other apps listen to when who-may-see-what changes.

``access_changed`` is sent after a grant, a revoke, a team membership change, or a job that
appears in or leaves a shared place, with ``users``: the ids of users whose visible objects may
have changed. Receivers re-derive what they keep (InfluxDB read grants, open websockets) from
``apps.sharing.access.visible_to`` rather than from the event, so a missed or repeated signal cannot
leave them wrong for long.
"""

from django.dispatch import Signal

access_changed = Signal()

# Sent after a share commits, with ``obj`` (what was shared), ``users`` (the ids it now reaches)
# and ``level``: the notifications app tells them (R28: "Alice shared project X with you").
shared = Signal()
