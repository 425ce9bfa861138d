"""Every page has the site's icon: browsers ask /favicon.ico of every site (the error pages,
the admin and the API's documentation have no icon link), the space's and back office's
pages name it."""

import pytest
from django.contrib.staticfiles import finders


def test_favicon_ico_leads_to_the_site_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("img/favicon.svg")
    assert finders.find("img/favicon.svg")


@pytest.mark.django_db
def test_the_pages_name_the_icon(client):
    page = client.get("/").content.decode()
    assert 'rel="icon"' in page and "img/favicon.svg" in page
