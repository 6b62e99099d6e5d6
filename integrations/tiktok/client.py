"""The API for Business client: one object, endpoint methods from each family module."""

from __future__ import annotations

from .ads import AdsMixin
from .business import BusinessMixin
from .spark import SparkMixin
from .tto import TTOMixin


class BusinessClient(BusinessMixin, TTOMixin, SparkMixin, AdsMixin):
    """``BusinessClient(access_token)``: a brand's advertiser token, or a creator's tt_user
    token for ``tto_creator_*``. Calls that authenticate with the app secret
    (``oauth2_access_token``, ``tt_user_oauth2_token``, ...) need no token."""
