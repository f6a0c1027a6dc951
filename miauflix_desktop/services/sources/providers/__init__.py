"""Source providers: sites that list torrents for a title (YTS, TheRARBG), on httpx.

Every provider follows `base.SourceProvider` (`key`, `async search(ProviderQuery)`), keeps a
`base.ProviderHealth` for the Settings → Activity screen, and raises only
`base.ProviderError` subclasses.
"""

from miauflix_desktop.services.sources.providers.base import (
    HealthSnapshot,
    HttpProvider,
    ProviderBackingOff,
    ProviderBadResponse,
    ProviderBlocked,
    ProviderError,
    ProviderHealth,
    ProviderOptions,
    ProviderQuery,
    ProviderRateLimited,
    ProviderState,
    ProviderTimeout,
    ProviderUnavailable,
    SourceProvider,
)
from miauflix_desktop.services.sources.providers.therarbg import (
    TheRarbgOptions,
    TheRarbgProvider,
)
from miauflix_desktop.services.sources.providers.yts import YtsOptions, YtsProvider

__all__ = [
    "HealthSnapshot",
    "HttpProvider",
    "ProviderBackingOff",
    "ProviderBadResponse",
    "ProviderBlocked",
    "ProviderError",
    "ProviderHealth",
    "ProviderOptions",
    "ProviderQuery",
    "ProviderRateLimited",
    "ProviderState",
    "ProviderTimeout",
    "ProviderUnavailable",
    "SourceProvider",
    "TheRarbgOptions",
    "TheRarbgProvider",
    "YtsOptions",
    "YtsProvider",
]
