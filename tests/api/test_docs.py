"""The OpenAPI schema and its interactive docs, served without any CDN."""

from tests.api.conftest import api_client


def test_schema_describes_every_resource_and_docs_load_local_assets(api, agency_a):
    schema = api.get("/api/v1/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "clients/",
        "channels/{id}/fetch/",
        "mentions/{id}/acknowledge/",
        "mentions/bulk/",
        "acknowledgements/",
        "clients/{id}/report/",
        "webhooks/",
    ):
        assert f"/api/v1/{path}" in schema["paths"], path  # fmt: skip
    assert "tokenAuth" in schema["components"]["securitySchemes"]

    page = api_client(agency_a).get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
