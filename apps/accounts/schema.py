"""How the OpenAPI schema (drf-spectacular) describes the API's ways to authenticate."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from your account page, sent as "
            "`Authorization: Bearer <key>` or `Authorization: Token <key>`.",
        }


class BasicScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.RateLimitedBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "E-mail address and password; not for accounts with two-factor "
            "authentication. Failed attempts count against the login rate limit.",
        }
