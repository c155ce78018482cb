"""Background work of the public schema: provisioning the agency of a verified sign-up."""

from agency.celery import app

from . import services


@app.task(soft_time_limit=300, time_limit=360)
def provision_signup(signup_id: int) -> str:
    """Provision a verified sign-up's agency; returns the sign-up's status."""
    return services.signup_provision(signup_id=signup_id).status
