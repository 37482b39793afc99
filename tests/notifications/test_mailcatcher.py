"""The mail catcher run.sh starts: it takes mail over SMTP and lists it, escaped, on its page."""

from __future__ import annotations

import json
import smtplib
import threading
import urllib.request
from email.message import EmailMessage

from apps.notifications.mailcatcher import Inbox, http_server, smtp_server
from tests.conftest import free_port, wait_for


def test_the_catcher_lists_what_it_got_escaped():
    inbox = Inbox()
    smtp = smtp_server(inbox, "127.0.0.1", free_port())
    smtp.start()
    web = http_server(inbox, "127.0.0.1", free_port())
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        message = EmailMessage()
        message["From"], message["To"] = "noreply@localhost", "alice@example.com"
        message["Subject"] = "Job <b>done</b>"
        message.set_content("Outcome: succeeded <script>alert(1)</script>\nÅ")
        with smtplib.SMTP("127.0.0.1", smtp.port) as client:
            client.send_message(message)
        wait_for(inbox.mails, 10, "the mail to arrive")

        base = f"http://127.0.0.1:{web.server_address[1]}"
        page = urllib.request.urlopen(f"{base}/").read().decode()
        assert "Job &lt;b&gt;done&lt;/b&gt;" in page and "<b>done" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
        assert "alice@example.com" in page and "Å" in page
        [listed] = json.loads(urllib.request.urlopen(f"{base}/messages.json").read())
        assert listed["recipients"] == ["alice@example.com"]
        assert listed["subject"] == "Job <b>done</b>"
    finally:
        web.shutdown()
        smtp.stop()
