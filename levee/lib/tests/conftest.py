import uuid

import pytest
from django.core.cache import cache

REDIS_LOCATION = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["database", "redis"])
def any_cache(request, settings):
    """The default cache on each backend Levée runs with: the database cache (embedded
    mode) and Redis (REDIS_URL). Redis' keys carry a prefix of this test's own, deleted
    afterwards, so that tests running at the same time never see each other's."""
    if request.param == "database":
        cache.clear()
        yield "database"
        return
    prefix = f"levee-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_LOCATION,
            "KEY_PREFIX": prefix,
        }
    }
    yield "redis"
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
