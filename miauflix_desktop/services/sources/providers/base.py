"""The contract every source provider follows, and the guarded HTTP every provider shares.

- `ProviderQuery` / `SourceProvider`: what a search asks and the one method a provider has.
- Typed errors (`ProviderError` and subclasses), messages fit for the screen.
- `ProviderHealth`: healthy / degraded with a human reason ("Cloudflare challenge",
  "rate limited (retry in 30 s)", "answered garbage"), exponential backoff during which
  no request is sent, recovery on the next good answer, and a snapshot for
  Settings → Activity.
- `HttpProvider`: the base class of the httpx providers. One GET goes through the
  per-provider rate limiter (aiolimiter), tries the mirrors in order, and classifies the
  answer (challenge, 429, 5xx, empty, HTML-instead-of-JSON, garbage, timeout) before a
  provider-specific parser sees it.

Unlike the TMDB client, a provider does not retry inside a search: the person is waiting
for the merged list of several providers, so a failing one should answer fast (its
mirrors are the in-search retry) and be asked again only after its backoff.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal, Protocol, TypeVar, runtime_checkable

import httpx
from aiolimiter import AsyncLimiter

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.services.catalog.tmdb import parse_retry_after
from miauflix_desktop.services.sources.types import ProviderRelease

log = logging.getLogger(__name__)

T = TypeVar("T")
Kind = Literal["movie", "tv"]
Expect = Literal["json", "html"]
Clock = Callable[[], float]
WallClock = Callable[[], datetime]

_IMDB_ID = re.compile(r"tt\d{5,10}")

# Honest about who we are, but shaped like a browser string: some mirrors answer bare
# library user agents ("python-httpx/…") with a block page.
DEFAULT_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) miauflix-desktop/0.1"


# ---------------------------------------------------------------------------------------
# The query and the contract


@dataclass(frozen=True)
class ProviderQuery:
    """What to look for. An IMDb id is preferred; the title (and year) is the fallback."""

    imdb_id: str | None = None
    title: str = ""
    year: int | None = None
    kind: Kind = "movie"
    season: int | None = None  # tv only: None = the whole series
    episode: int | None = None  # tv only: None = the whole season

    def __post_init__(self) -> None:
        if self.imdb_id is not None and not _IMDB_ID.fullmatch(self.imdb_id):
            raise ValueError(f"not an IMDb id: {self.imdb_id!r}")
        if self.kind not in ("movie", "tv"):
            raise ValueError(f"kind must be 'movie' or 'tv', not {self.kind!r}")
        if not self.imdb_id and not self.title.strip():
            raise ValueError("a query needs an IMDb id or a title")
        if self.kind == "movie" and (self.season is not None or self.episode is not None):
            raise ValueError("a film has no season or episode")
        if self.episode is not None and self.season is None:
            raise ValueError("an episode needs its season")


@runtime_checkable
class SourceProvider(Protocol):
    """A site that lists torrents for a title."""

    key: str  # short and stable ("yts"): ProviderRelease.provider, settings, logs

    async def search(self, query: ProviderQuery) -> list[ProviderRelease]:
        """The releases the site lists for `query`; [] when it has none.

        Raises a `ProviderError` (never anything else on purpose) when the site cannot be
        used; one provider failing must never stop the others (callers gather them).
        """
        ...


# ---------------------------------------------------------------------------------------
# Errors


class ProviderError(MiauflixError):
    """Base of every provider failure; the message is safe to show."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider


class ProviderUnavailable(ProviderError):
    """The provider cannot be used right now (unreachable, server errors, all mirrors down).

    `reason` is the short human reason the Activity screen shows; `retry_in` the seconds
    until it is asked again (None: on the next search).
    """

    def __init__(self, provider: str, name: str, reason: str, retry_in: float | None = None,
                 detail: str = "") -> None:
        message = f"{name} unavailable: {reason}"
        if retry_in and "retry in" not in reason:
            message += f" (retry in {human_duration(retry_in)})"
        super().__init__(provider, message)
        self.name = name
        self.reason = reason
        self.retry_in = retry_in
        self.detail = detail  # for the log only: what exactly came back


class ProviderBackingOff(ProviderUnavailable):
    """Raised at once, without a request, while the provider is backing off after failures."""


class ProviderBlocked(ProviderUnavailable):
    """A Cloudflare (or similar) challenge page: a browser check we cannot pass."""


class ProviderRateLimited(ProviderUnavailable):
    """HTTP 429: the site asked us to slow down (Retry-After is honoured)."""


class ProviderBadResponse(ProviderUnavailable):
    """Not what the site normally answers: HTML where JSON belongs, an empty body, garbage,
    a page without the results table (a parked domain, a captive portal, a changed layout)."""


class ProviderTimeout(ProviderUnavailable):
    """The site did not answer within the timeout."""


class FailureKind(StrEnum):
    CHALLENGE = "challenge"
    RATE_LIMITED = "rate-limited"
    BAD_RESPONSE = "bad-response"
    SERVER_ERROR = "server-error"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"


_ERROR_CLASS: dict[FailureKind, type[ProviderUnavailable]] = {
    FailureKind.CHALLENGE: ProviderBlocked,
    FailureKind.RATE_LIMITED: ProviderRateLimited,
    FailureKind.BAD_RESPONSE: ProviderBadResponse,
    FailureKind.TIMEOUT: ProviderTimeout,
}

# When every mirror failed, report the most telling failure: a challenge on the main
# domain says more than "cannot connect" to a dead fallback domain.
_SEVERITY = {kind: rank for rank, kind in enumerate([
    FailureKind.UNREACHABLE, FailureKind.TIMEOUT, FailureKind.REFUSED,
    FailureKind.SERVER_ERROR, FailureKind.BAD_RESPONSE, FailureKind.CHALLENGE,
    FailureKind.RATE_LIMITED])}


class Failure(Exception):  # an internal signal; callers only ever see ProviderError
    """One failed request, as a provider module raises it; `HttpProvider.search` turns it
    into the public error and records it in the health."""

    def __init__(self, kind: FailureKind, reason: str, *, retry_after: float | None = None,
                 detail: str = "") -> None:
        super().__init__(f"{kind}: {reason} {detail}".strip())
        self.kind = kind
        self.reason = reason
        self.retry_after = retry_after
        self.detail = detail


class PartialResults(Exception):  # an internal signal, like Failure
    """A search got some releases, then the site started refusing (429, challenge): the
    releases are returned and the provider still backs off."""

    def __init__(self, releases: list[ProviderRelease], failure: Failure) -> None:
        super().__init__(str(failure))
        self.releases = releases
        self.failure = failure


def garbage(detail: str) -> Failure:
    return Failure(FailureKind.BAD_RESPONSE, "answered garbage", detail=detail)


def most_severe(failures: Sequence[Failure]) -> Failure:
    return max(failures, key=lambda f: _SEVERITY[f.kind])


def human_duration(seconds: float) -> str:
    """30 -> "30 s", 150 -> "3 min", 7200 -> "2 h" (what the Activity screen shows).

    Rounded up: "retry in 2 min" must not come before the retry does.
    """
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{max(1, math.ceil(seconds))} s"
    if seconds < 90 * 60:
        return f"{math.ceil(seconds / 60)} min"
    return f"{math.ceil(seconds / 3600)} h"


# ---------------------------------------------------------------------------------------
# Health


class ProviderState(StrEnum):
    UNKNOWN = "unknown"  # not asked since start
    HEALTHY = "healthy"
    DEGRADED = "degraded"


@dataclass(frozen=True)
class HealthSnapshot:
    """One provider's line on Settings → Activity."""

    provider: str
    name: str
    state: ProviderState
    reason: str  # "" when healthy
    since: datetime | None  # when the current state began
    next_retry_at: datetime | None  # degraded: when it will be asked again
    requests_ok: int
    requests_failed: int
    consecutive_failures: int
    last_ok_at: datetime | None

    @property
    def summary(self) -> str:
        if self.state is ProviderState.DEGRADED:
            return f"{self.name}: {self.reason}"
        return f"{self.name}: {self.state.value}"


class ProviderHealth:
    """Healthy or degraded, and when to ask again. Pure state with injectable clocks.

    Each failed search doubles the pause (`backoff_base_s`, 2x, 4x ... capped at
    `backoff_max_s`); a Retry-After longer than that wins (capped at
    `max_retry_after_s`). While paused, `retry_in()` is positive and the provider sends
    nothing. The first good answer after the pause makes it healthy again. No jitter: one
    desktop client per provider cannot stampede anybody.
    """

    def __init__(self, provider: str, name: str = "", *, backoff_base_s: float = 30.0,
                 backoff_max_s: float = 1800.0, max_retry_after_s: float = 3600.0,
                 clock: Clock = time.monotonic, wall: WallClock | None = None) -> None:
        self.provider = provider
        self.name = name or provider
        self.backoff_base_s = max(0.0, backoff_base_s)
        self.backoff_max_s = max(self.backoff_base_s, backoff_max_s)
        self.max_retry_after_s = max_retry_after_s
        self._clock = clock
        self._wall = wall or (lambda: datetime.now(UTC))
        self.state = ProviderState.UNKNOWN
        self.reason = ""
        self.consecutive_failures = 0
        self.requests_ok = 0
        self.requests_failed = 0
        self._since: datetime | None = None
        self._last_ok: datetime | None = None
        self._retry_at = 0.0  # monotonic

    def retry_in(self) -> float:
        """Seconds until a request may be sent again; 0.0 when it may be sent now."""
        if self.state is not ProviderState.DEGRADED:
            return 0.0
        return max(0.0, self._retry_at - self._clock())

    def record_request(self, ok: bool) -> None:
        if ok:
            self.requests_ok += 1
        else:
            self.requests_failed += 1

    def record_success(self) -> None:
        if self.state is not ProviderState.HEALTHY:
            if self.state is ProviderState.DEGRADED:
                log.info("%s recovered (was: %s)", self.name, self.reason)
            self.state = ProviderState.HEALTHY
            self._since = self._wall()
        self.reason = ""
        self.consecutive_failures = 0
        self._retry_at = 0.0
        self._last_ok = self._wall()

    def record_failure(self, reason: str, retry_after: float | None = None, *,
                       show_delay: bool = False) -> float:
        """Degrade (or stay degraded) and return the pause in seconds.

        `show_delay` appends it to the reason: "rate limited (retry in 30 s)".
        """
        self.consecutive_failures += 1
        delay = min(self.backoff_max_s,
                    self.backoff_base_s * 2 ** min(self.consecutive_failures - 1, 30))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after_s))
        if self.state is not ProviderState.DEGRADED:
            self.state = ProviderState.DEGRADED
            self._since = self._wall()
        self.reason = f"{reason} (retry in {human_duration(delay)})" if show_delay else reason
        self._retry_at = self._clock() + delay
        return delay

    def snapshot(self) -> HealthSnapshot:
        wait = self.retry_in()
        next_retry = (self._wall() + timedelta(seconds=wait)
                      if self.state is ProviderState.DEGRADED else None)
        return HealthSnapshot(
            provider=self.provider, name=self.name, state=self.state, reason=self.reason,
            since=self._since, next_retry_at=next_retry, requests_ok=self.requests_ok,
            requests_failed=self.requests_failed,
            consecutive_failures=self.consecutive_failures, last_ok_at=self._last_ok)


# ---------------------------------------------------------------------------------------
# Options


_O = TypeVar("_O", bound="ProviderOptions")


@dataclass(frozen=True)
class ProviderOptions:
    """Tuning shared by every HTTP provider; each provider subclasses it with its defaults.

    Settings keys are the field names (see `from_settings`).
    """

    mirrors: tuple[str, ...] = ()  # origins ("https://yts.mx"), tried in order
    enabled: bool = True  # for the caller (container) to skip the provider; not read here
    rate_max: float = 2.0  # at most this many requests ...
    rate_period_s: float = 1.0  # ... per this many seconds (aiolimiter leaky bucket)
    timeout_s: float = 10.0
    backoff_base_s: float = 30.0  # first pause after a failed search; doubles each time
    backoff_max_s: float = 1800.0
    max_retry_after_s: float = 3600.0
    user_agent: str = DEFAULT_USER_AGENT

    @classmethod
    def from_settings(cls: type[_O], section: object | None, **overrides: Any) -> _O:
        """Build from a settings section (a dataclass or a JSON dict): known keys with the
        right type are used, anything else keeps the default (and is logged)."""
        defaults = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            if isinstance(section, Mapping):
                if f.name not in section:
                    continue
                raw = section[f.name]
            elif section is not None and hasattr(section, f.name):
                raw = getattr(section, f.name)
            else:
                continue
            value = _coerce(raw, getattr(defaults, f.name))
            if value is None:
                log.warning("provider setting %s=%r has the wrong type; using the default",
                            f.name, raw)
                continue
            values[f.name] = value
        values.update(overrides)
        return cls(**values)


def _coerce(raw: Any, default: Any) -> Any:
    if isinstance(default, tuple):
        if isinstance(raw, (list, tuple)) and all(isinstance(m, str) and m for m in raw):
            return tuple(raw)
        return None
    if isinstance(default, bool):
        return raw if isinstance(raw, bool) else None
    if isinstance(raw, bool):
        return None
    if isinstance(default, float) and isinstance(raw, (int, float)) and raw > 0:
        return float(raw)
    if isinstance(default, int) and isinstance(raw, int) and raw >= 0:
        return raw
    if isinstance(default, str) and isinstance(raw, str):
        return raw
    return None


# ---------------------------------------------------------------------------------------
# Answer classification (pure: unit-tested with hand-built httpx.Response values)

_CHALLENGE_MARKERS = (b"cf-chl", b"_cf_chl_opt", b"challenge-platform", b"cf-browser-verification",
                      b"cf_chl_", b"Attention Required! | Cloudflare")
_JUST_A_MOMENT = b"Just a moment..."
_HTML_TAG = re.compile(r"<\s*(!doctype|html|head|body|table|div|p|a)\b", re.IGNORECASE)


def is_challenge(response: httpx.Response) -> bool:
    """A Cloudflare browser check ("Just a moment...", cf-chl markup, cf-mitigated header)."""
    if response.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    head = response.content[:65536]
    if any(marker in head for marker in _CHALLENGE_MARKERS):
        return True
    from_cloudflare = "cloudflare" in response.headers.get("server", "").lower()
    return from_cloudflare and response.status_code in (403, 503) and _JUST_A_MOMENT in head


def looks_like_html(text: str) -> bool:
    return bool(_HTML_TAG.search(text[:65536]))


def classify(response: httpx.Response, expect: Expect) -> Any:
    """The decoded body (a JSON value, or HTML text), or `Failure` saying what is wrong."""
    status = response.status_code
    if is_challenge(response):
        raise Failure(FailureKind.CHALLENGE, "Cloudflare challenge", detail=f"HTTP {status}")
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise Failure(FailureKind.RATE_LIMITED, "rate limited", retry_after=retry_after,
                      detail=f"Retry-After {response.headers.get('Retry-After')!r}")
    if status >= 500:
        raise Failure(FailureKind.SERVER_ERROR, f"server error (HTTP {status})")
    if status >= 300:
        # 403/404/410 on a mirror usually means the domain changed hands or was parked.
        raise Failure(FailureKind.REFUSED, f"refused the request (HTTP {status})")
    body = response.content
    if not body.strip():
        raise Failure(FailureKind.BAD_RESPONSE, "answered an empty page")
    content_type = response.headers.get("content-type", "").lower()
    if expect == "json":
        if "html" in content_type or body.lstrip()[:1] == b"<":
            raise Failure(FailureKind.BAD_RESPONSE, "answered an HTML page instead of data",
                          detail=content_type)
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError) as exc:
            raise garbage(f"malformed JSON ({exc})") from None
    text = response.text
    if not looks_like_html(text):
        raise garbage(f"not HTML ({content_type or 'no content type'})")
    return text


def normalise_mirror(mirror: str) -> str:
    """"https://yts.mx/" -> "https://yts.mx" (paths are appended to it)."""
    mirror = mirror.strip().rstrip("/")
    if not mirror.startswith(("http://", "https://")):
        mirror = "https://" + mirror
    return mirror


@dataclass(frozen=True)
class Answer:
    """A classified answer: where it finally came from (after redirects) and its body."""

    url: str
    body: Any  # JSON value for expect="json", str for expect="html"


# ---------------------------------------------------------------------------------------
# The shared HTTP provider


class HttpProvider:
    """Base of the httpx providers: lifecycle, health gate, rate limit, mirrors, classification.

    Subclasses set `key` and `name`, implement `_search` with `self._get` (mirror
    fallback) and `self._get_url` (one absolute URL), and raise `Failure` /
    `PartialResults` for what their parser rejects. A lifecycle Service: `start()` opens a
    pooled httpx client unless one was injected, `stop()` closes what it opened.
    """

    key: ClassVar[str] = ""
    name: ClassVar[str] = ""

    def __init__(self, options: ProviderOptions, *, http: httpx.AsyncClient | None = None,
                 health: ProviderHealth | None = None, limiter: AsyncLimiter | None = None,
                 clock: Clock = time.monotonic) -> None:
        if not options.mirrors:
            raise ValueError(f"{self.name or type(self).__name__} needs at least one mirror")
        if options.rate_max < 1:
            raise ValueError("rate_max must allow at least one request per period")
        self.options = options
        self.mirrors = tuple(normalise_mirror(m) for m in options.mirrors)
        self.health = health or ProviderHealth(
            self.key, self.name, backoff_base_s=options.backoff_base_s,
            backoff_max_s=options.backoff_max_s, max_retry_after_s=options.max_retry_after_s,
            clock=clock)
        self._limiter = limiter or AsyncLimiter(options.rate_max, options.rate_period_s)
        self._http = http
        self._owns_http = http is None
        self._preferred = 0  # index of the mirror that answered last

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        if self._http is not None:
            return
        timeout = self.options.timeout_s
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
            headers={"User-Agent": self.options.user_agent},
            # Mirrors move between domains with redirects; a captive portal that
            # redirects ends up as "answered garbage", which is what it is.
            follow_redirects=True,
            max_redirects=5,
        )
        self._owns_http = True

    async def stop(self) -> None:
        http, self._http = self._http, None
        if http is not None and self._owns_http:
            await http.aclose()

    async def __aenter__(self) -> HttpProvider:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- what callers use -----------------------------------------------------------

    @property
    def active_mirror(self) -> str:
        return self.mirrors[self._preferred]

    def snapshot(self) -> HealthSnapshot:
        return self.health.snapshot()

    def supports(self, query: ProviderQuery) -> bool:
        """False: the provider has nothing of this kind; `search` answers [] without asking."""
        return True

    async def search(self, query: ProviderQuery) -> list[ProviderRelease]:
        if not self.supports(query):
            return []
        # Once the pause is over every search may go out (no single-probe gate): searches
        # come from one person, a few at a time, so a half-open state would buy nothing.
        wait = self.health.retry_in()
        if wait > 0:
            raise ProviderBackingOff(self.key, self.name, self.health.reason, retry_in=wait)
        try:
            releases = await self._search(query)
        except PartialResults as partial:
            self._degrade(partial.failure)
            return partial.releases
        except Failure as failure:
            raise self._degrade(failure) from None
        self.health.record_success()
        return releases

    async def _search(self, query: ProviderQuery) -> list[ProviderRelease]:
        raise NotImplementedError

    def _degrade(self, failure: Failure) -> ProviderUnavailable:
        was = self.health.state
        delay = self.health.record_failure(
            failure.reason, failure.retry_after,
            show_delay=failure.kind is FailureKind.RATE_LIMITED)
        # Warn once when it breaks; repeats while already degraded are routine.
        level = logging.WARNING if was is not ProviderState.DEGRADED else logging.INFO
        log.log(level, "%s degraded: %s (%s); next try in %.1fs", self.name,
                self.health.reason, failure.detail or failure.kind, delay)
        cls = _ERROR_CLASS.get(failure.kind, ProviderUnavailable)
        return cls(self.key, self.name, self.health.reason, retry_in=delay,
                   detail=failure.detail)

    # -- transport ------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError(f"{type(self).__name__}.start() was not awaited")
        return self._http

    async def _get(self, path: str, params: Mapping[str, Any] | None, *, expect: Expect,
                   parse: Callable[[Answer], T]) -> T:
        """GET `path` from the mirror that answered last, then the others in order.

        A mirror fails over on anything but 429: mirrors are usually one backend, and
        asking its other names right after it said "slow down" would be rude and useless.
        """
        order = [self._preferred] + [i for i in range(len(self.mirrors)) if i != self._preferred]
        failures: list[Failure] = []
        for index in order:
            try:
                result = await self._attempt(self.mirrors[index] + path, params, expect, parse)
            except Failure as failure:
                failures.append(failure)
                if failure.kind is FailureKind.RATE_LIMITED:
                    raise
                if len(failures) < len(order):
                    log.info("%s mirror %s: %s; trying the next one", self.name,
                             self.mirrors[index], failure.reason)
                continue
            if index != self._preferred:
                log.info("%s: using mirror %s from now on", self.name, self.mirrors[index])
                self._preferred = index
            return result
        raise most_severe(failures)

    async def _get_url(self, url: str, *, expect: Expect, parse: Callable[[Answer], T]) -> T:
        """GET one absolute URL (a detail page on the mirror that answered the list)."""
        return await self._attempt(url, None, expect, parse)

    async def _attempt(self, url: str, params: Mapping[str, Any] | None, expect: Expect,
                       parse: Callable[[Answer], T]) -> T:
        http = self._client()
        await self._limiter.acquire()
        started = time.monotonic()
        try:
            try:
                response = await http.get(url, params=params)
            except httpx.TimeoutException as exc:
                raise Failure(FailureKind.TIMEOUT, "timed out",
                              detail=f"{url} after {time.monotonic() - started:.1f}s "
                                     f"({type(exc).__name__})") from None
            except httpx.TooManyRedirects:
                raise garbage(f"{url}: redirects in circles") from None
            except (httpx.TransportError, OSError) as exc:
                raise Failure(FailureKind.UNREACHABLE, "cannot connect",
                              detail=f"{url}: {exc!r}") from None
            answer = Answer(str(response.url), classify(response, expect))
            result = parse(answer)
        except Failure:
            self.health.record_request(ok=False)
            raise
        self.health.record_request(ok=True)
        return result
