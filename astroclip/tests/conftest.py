# Data the tests simulate is cached in a temporary folder (POLYMATH_CACHE), never the user's.
pytest_plugins = ["polymath.foundation.testing"]
