"""Pages: the demo shop and the widget endpoints."""

import pytest

from chat.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_site(db):
    return Site.objects.create(name="Demo shop", allowed_origins="http://localhost")


def test_demo_shop_embeds_the_widget_from_this_server(client, demo_site):
    html = client.get("/demo/").content.decode()
    assert 'src="http://testserver/widget.js"' in html
    assert demo_site.public_key in html


def test_demo_shop_may_load_the_widget_from_another_own_host(
    client, demo_site, settings
):
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
    html = client.get("/demo/", {"server": "http://127.0.0.1:8000"}).content.decode()
    assert 'src="http://127.0.0.1:8000/widget.js"' in html


@pytest.mark.parametrize(
    "server",
    ["https://evil.example", "javascript:alert(1)", "http://127.0.0.1:8000/x.js?"],
)
def test_demo_shop_ignores_foreign_widget_servers(client, demo_site, server, settings):
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
    html = client.get("/demo/", {"server": server}).content.decode()
    assert 'src="http://testserver/widget.js"' in html
    assert "evil" not in html and "javascript:" not in html


def test_widget_loader_and_strings(client):
    loader = client.get("/widget.js")
    assert loader.status_code == 200 and loader["Content-Type"] == "text/javascript"
    assert loader["Access-Control-Allow-Origin"] == "*"
    assert client.head("/widget.js").status_code == 200
    korean = client.get("/widget/i18n.json", {"lang": "ko-KR"}).json()
    english = client.get("/widget/i18n.json", {"lang": "fr"}).json()
    assert korean["language"] == "ko" and english["language"] == "en"
    assert korean["strings"]["send"] != english["strings"]["send"]
    assert english["strings"]["send"] == "Send"


def test_healthz(client):
    assert client.get("/healthz").json() == {"ok": True}
