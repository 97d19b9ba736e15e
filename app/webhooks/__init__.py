"""Webhooks: merchants' endpoints, the signature on every delivery, and the sender the push
worker uses. Events are queued by `app.events.emit` in the transaction that caused them."""
