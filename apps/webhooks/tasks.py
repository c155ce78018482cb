"""Celery task that sends outbound webhook deliveries, retrying with backoff."""

from agency.celery import app

from . import services
from .models import WebhookDelivery

# Attempts are counted by the service (MAX_ATTEMPTS); this only stops a runaway chain.
MAX_RETRIES = services.MAX_ATTEMPTS * 2


@app.task(bind=True, max_retries=MAX_RETRIES, soft_time_limit=60, time_limit=90)
def deliver_webhook(self, delivery_id: int) -> str:
    """Send one delivery in the agency the task was sent from; retry later while it is pending."""
    delivery = services.delivery_attempt(delivery_id=delivery_id)
    if delivery is not None and delivery.status == WebhookDelivery.Status.PENDING:
        raise self.retry(countdown=services.retry_delay(delivery.attempts))
    return delivery.status if delivery is not None else "deleted"
