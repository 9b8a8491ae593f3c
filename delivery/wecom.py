"""企业微信 (WeCom) group bots sending markdown, as an apprise plugin.

Apprise's ``wecombot://`` sends plain text only (2,048 bytes at most). This registers
``wecommd://{key}``: the same bot, sent ``msgtype: markdown`` (4,096 bytes at most), so an
alert keeps its headings and the report link is clickable. ``?format=text`` sends plain
text instead; ``?base=URL`` overrides the endpoint (a proxy, or a local receiver in tests).
The size limit is the caller's to respect (delivery.alert_message fits every message).

Importing this module registers the schema with apprise (once per process).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from apprise.decorators import notify

WECOM_HOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
SCHEMA = "wecommd"


def payload(text: str, markdown: bool) -> dict[str, Any]:
    """The JSON body of one bot message."""
    if markdown:
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "text", "text": {"content": text}}


@notify(on=SCHEMA, name="企业微信 group bot (markdown)")
def send_wecom(
    body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any
) -> bool:
    """Send one message; False when the bot answers with a non-zero errcode."""
    key = str(meta.get("host") or "")
    options = meta.get("qsd") or {}
    if not key:
        raise ValueError("wecommd:// needs the bot's key: wecommd://{key}")
    markdown = str(options.get("format", "markdown")).lower() != "text"
    text = f"{title}\n{body}" if title else body
    base = options.get("base") or WECOM_HOOK
    url = f"{base}?{urllib.parse.urlencode({'key': key})}"
    data = json.dumps(payload(text, markdown), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=float(options.get("cto", 10))) as response:
        raw = response.read()
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:  # a plain-text 2xx answer (a proxy): delivered
        return True
    return not isinstance(answer, dict) or int(answer.get("errcode", 0) or 0) == 0
