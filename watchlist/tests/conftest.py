# The ratings tests' fixtures: fast password hashing, exact aggregates.
from ratings.tests.conftest import (  # noqa: F401
    _fast_password_hashing,
    assert_aggregates_exact,
)
