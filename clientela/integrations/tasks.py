"""Background sending of webhook deliveries (django-tasks), enqueued after the commit that created them.

The task takes the delivery's id and claims it before sending, so a duplicate enqueue, a retry sweep
running at the same time, or a delivery already sent, all leave it alone.
"""

from __future__ import annotations

import logging

from django_tasks import task

from clientela.core.actor import Actor, Source

logger = logging.getLogger("clientela.integrations")


@task()
def deliver_webhook(delivery_id: int, manual: bool = False) -> str:
    """Send one due delivery; returns its status afterwards ("not due" when another run had it)."""
    from clientela.integrations.services import webhook_delivery_attempt

    try:
        row = webhook_delivery_attempt(
            actor=Actor.system("webhooks", source=Source.JOB), delivery_id=delivery_id, manual=manual
        )
    except Exception:
        # a worker must survive any delivery; the row stays due and the sweep tries it again
        logger.exception("webhook delivery %s crashed", delivery_id)
        return "error"
    return str(row.status) if row is not None else "not due"
