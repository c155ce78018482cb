"""A client's data on request, exported or erased across every app that holds some of it: it sits
above them all (clients, channels, listening, acknowledgements, reporting, webhooks)."""
