from support.cache import shared_cache  # noqa: F401  (fixture)
from support.workers import runner_main_module  # noqa: F401  (autouse: these tests start worker processes)
