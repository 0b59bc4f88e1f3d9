"""The headers every Avi call carries unless configured otherwise; here, apart from the client,
so the command line can name them in its help without loading an HTTP stack."""

from __future__ import annotations

from typing import Final

DEFAULT_TENANT: Final = "admin"
DEFAULT_API_VERSION: Final = "22.1.3"
