from support.cache import shared_cache  # noqa: F401  (fixture)
