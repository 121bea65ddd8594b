import re
from http import HTTPStatus

import pytest
from django.test import Client

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_page_loads_every_asset_from_this_server(path):
    client = Client()
    page = client.get(path)

    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assets = ASSET.findall(html)
    assert assets
    assert not re.search(r"https?://", " ".join(assets)), assets
    assert "googleapis" not in html
    assert "cdn" not in html.lower()
    for asset in assets:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == HTTPStatus.OK, asset
