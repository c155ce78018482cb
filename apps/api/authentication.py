"""How integrators prove who they are: hashed, revocable tokens (knox) or the browser session."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.authentication import SessionAuthentication as DrfSessionAuthentication


class TokenAuthentication(KnoxTokenAuthentication):
    """``Authorization: Token <key>``. Keys live in the agency's own schema as SHA-512 digests,
    so a key is only ever valid on its agency's host, and a database dump reveals none."""

    def _cleanup_token(self, auth_token) -> bool:
        # Knox sweeps the user's expired tokens on every request; tokens without an expiry (ours
        # live until revoked) have nothing to sweep, and the query is saved.
        if auth_token.expiry is None:
            return False
        return super()._cleanup_token(auth_token)


class SessionAuthentication(DrfSessionAuthentication):
    """The signed-in browser session (the browsable API); CSRF-checked."""


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; get a key from POST /api/v1/auth/token/.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = SessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
