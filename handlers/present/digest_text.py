"""Pure renderers for subscriptions, digests and the operators' commands: dataclasses in,
escaped Telegram HTML out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from datastore.ingest.check import CheckRecord, CheckResult
from datastore.ingest.state import KIND, FeedState
from datastore.query.digest import Digest, RiseTest
from datastore.query.figures import month_name
from datastore.query.freshness import Freshness
from datastore.storage.store import Version
from datastore.storage.subscriptions import (
    MAX_WARDS,
    DeliveryCounts,
    PauseCause,
    SubscribeResult,
    Subscription,
    SubscriptionCounts,
)
from handlers.present import age, texts
from handlers.present.words import category, change_phrase, esc, fit, n, plural

# Names of the kinds of data, as the operators read them.
KIND_NAMES: Final = {
    "ward_crime": "Ward crime", "borough_crime": "Borough crime",
    "ward_population": "Ward residents", "borough_population": "Borough residents",
    "postcodes": "Postcodes", "stop_search": "Stop and search", "taser": "Taser",
    "ward_boundaries": "Ward boundaries", "borough_boundaries": "Borough boundaries",
}

WardNames = Mapping[str, tuple[str, str]]  # ward code -> (ward name, borough)


def ward_label(code: str, names: WardNames) -> str:
    """'St James's, Westminster' (escaped), or the code if the ward is not in the data."""
    if code not in names:
        return esc(code)
    name, borough = names[code]
    return f"{esc(name)}, {esc(borough)}"


# -- subscriptions ----------------------------------------------------------------------------


def subscribed_html(result: SubscribeResult, ward_code: str, names: WardNames) -> str:
    """The reply to /subscribe or the Subscribe button."""
    ward = f"<b>{ward_label(ward_code, names)}</b>"
    count = len(result.subscriptions)
    if result.outcome == "full":
        return (f"This chat already follows {MAX_WARDS} wards, the most it can, so I haven't "
                f"added {ward}. Remove one first: /subscriptions lists them with buttons.")
    if result.outcome == "already":
        return f"This chat already follows {ward}. {texts.DIGEST_WHEN}"
    if result.outcome == "resumed":
        return f"Digests for {ward} are back on for this chat. {texts.DIGEST_WHEN}"
    return (f"Done: this chat now follows {ward} ({count} of {MAX_WARDS} wards). "
            f"{texts.DIGEST_WHEN}")


def unsubscribed_html(ward_code: str, names: WardNames, removed: bool) -> str:
    ward = f"<b>{ward_label(ward_code, names)}</b>"
    if not removed:
        return f"This chat doesn't follow {ward}, so there was nothing to stop."
    return f"Done: this chat no longer follows {ward}."


def unsubscribed_all_html(count: int) -> str:
    if count == 0:
        return "This chat follows no wards, so there was nothing to stop."
    return f"Done: this chat no longer follows any ward ({plural(count, 'ward')} removed)."


# What /forget says it erased, by table.
FORGOTTEN_LABELS: Final = {"subscription": "subscription", "delivery": "digest record"}


def forget_question_html(subs: Sequence[Subscription], names: WardNames) -> str:
    """/forget's question: what pressing Erase would erase."""
    if not subs:
        what = texts.FORGET_NOTHING_FOLLOWED
    else:
        wards = "; ".join(ward_label(s.ward_code, names) for s in subs)
        what = (f"the {plural(len(subs), 'ward')} this chat follows ({wards}), so its monthly "
                "digests stop, and the record of the digests sent here")
    return texts.FORGET_QUESTION.format(what=what)


def forgotten_html(erased: Mapping[str, int], subs: Sequence[Subscription],
                   names: WardNames) -> str:
    """/forget done: what was erased, in words."""
    what = ", ".join(plural(count, FORGOTTEN_LABELS.get(name, name))
                     for name, count in erased.items()) or "the request counter"
    text = texts.FORGOTTEN.format(what=esc(what))
    if subs:
        wards = "; ".join(ward_label(s.ward_code, names) for s in subs)
        text += f" This chat no longer follows {wards}."
    return text


def subscriptions_html(subs: Sequence[Subscription], names: WardNames,
                       paused_because: PauseCause = "removed",
                       f: Freshness | None = None) -> str:
    """/subscriptions: what the chat follows, each with its district and state, and how old
    the figures its digests come from are."""
    if not subs:
        return texts.NO_SUBSCRIPTIONS
    lines = [f"<b>This chat follows {plural(len(subs), 'ward')}</b> (at most {MAX_WARDS}):",
             f"<i>{esc(age.statement(f, short=True))}</i>"]
    for s in subs:
        state = " — <i>paused</i>" if s.state == "paused" else ""
        lines.append(f"• {ward_label(s.ward_code, names)} (from {esc(s.district)}){state}")
    if any(s.state == "paused" for s in subs):
        note = texts.PAUSED_SEND_FAILED if paused_because == "send_failed" \
            else texts.PAUSED_REMOVED
        lines.append(f"<i>{note}</i>")
    lines.append(texts.SUBSCRIPTIONS_HINT)
    return fit("\n".join(lines))


# -- the digest -------------------------------------------------------------------------------


def _changes(items: Sequence[tuple[str, int]]) -> str:
    return "; ".join(f"{esc(category(name))} {'+' if change > 0 else '−'}{n(abs(change))}"
                     for name, change in items)


def rise_line(rise: RiseTest) -> str:
    """The unusual-month line, in plain words, with its caveat."""
    months = round(1 / rise.alpha)
    return (f"⚠️ <b>Unusually high for this ward</b>: {n(rise.observed)} crimes, where an "
            f"ordinary month would bring about {rise.expected:,.0f} (its last {rise.months} "
            "months, allowing for the season and for London as a whole). That is higher than "
            f"this ward sees in about {n(months - 1)} months out of {n(months)}. "
            f"<i>{texts.RISE_CAVEAT}</i>")


def digest_html(d: Digest, f: Freshness | None) -> str:
    """One ward's monthly digest; under its first line, how old its month is on the day it is
    made (a digest of an old month says so)."""
    lines = [f"<b>{esc(d.ward_name)} ward, {esc(d.borough)}: {month_name(d.month)}</b>",
             f"<i>{esc(age.statement(f, d.month, short=True))}</i>"]
    total = f"Crimes recorded: <b>{n(d.total)}</b>"
    if d.previous is not None:
        total += (f", {change_phrase(d.total, d.previous.total)} on "
                  f"{month_name(d.previous.month)} ({n(d.previous.total)})")
    lines.append(total + ".")
    if d.since_month is not None and d.new_months:
        months = ", ".join(f"{month_name(m.month).split()[0]} {n(m.total)}"
                           for m in d.new_months)
        lines.append(f"Since {month_name(d.since_month)}: {months}.")
    if d.rises:
        lines.append(f"Rose most: {_changes(d.rises)}.")
    if d.falls:
        lines.append(f"Fell most: {_changes(d.falls)}.")
    if d.rate is not None:
        ratio = f"{d.rate.ratio:.2f}".rstrip("0").rstrip(".")
        lines.append(
            f"12 months to {month_name(d.rate.last_month)}: {d.rate.rate:,.1f} crimes per 1,000 "
            f"residents, {ratio} times the "
            f"London average of {d.rate.london_rate:,.1f}: <b>{d.rate.band} the average</b>."
            + (f" <i>{texts.BUSY_PLACE_SHORT}</i>" if d.rate.band == "well above" else ""))
    if d.revision is not None:
        r = d.revision
        lines.append(f"{month_name(r.month)} revised from {n(r.before)} to {n(r.after)} "
                     f"({texts.REVISION_NOTE}).")
    if d.rise is not None and d.rise.unusual:
        lines.append(rise_line(d.rise))
    lines.append(f"<i>{texts.DIGEST_FOOTER}</i>")
    return fit("\n".join(lines))


# -- the operators' commands ------------------------------------------------------------------


def _month(m: int | None) -> str:
    return month_name(m) if m else "none"


def check_line(record: CheckRecord) -> str:
    when = record.checked_at.replace("T", " ").replace("+00:00", " UTC")
    return (f"{esc(when)} ({esc(record.trigger)}): <b>{esc(record.result)}</b> — "
            f"{esc(record.detail)}")


def reload_html(result: CheckResult, queued: tuple[int, int] | None) -> str:
    """The reply to /reload (and what admins are told after a scheduled check that did
    something)."""
    rec = result.record
    if rec.result == "loaded":
        lines = ["<b>New data loaded</b>; answers now use it:"]
        for v in result.loaded:
            files = ", ".join(s.name for s in v.sources)
            lines.append(f"• {KIND_NAMES.get(v.kind, v.kind)}: to {_month(v.last_month)} "
                         f"({n(v.rows)} rows, {esc(files)})")
        if result.ward_month_before is not None:
            lines.append(f"Ward crime was to {_month(result.ward_month_before)}.")
    elif rec.result == "unchanged":
        lines = [f"No newer month in the sources; the current data stays "
                 f"(ward crime to {_month(rec.ward_month)}).", f"<i>{esc(rec.detail)}</i>"]
    else:
        lines = [f"<b>The new data was {'rejected' if rec.result == 'rejected' else 'not loaded'}"
                 f"</b>: {esc(rec.detail)}",
                 f"Answers keep using the current data (ward crime to {_month(rec.ward_month)})."]
    if result.feeds is not None:
        lines.append("<b>Each publisher's feed</b>:")
        lines += [f"• {esc(texts.FEED_NAMES.get(o.feed, o.feed))}: {esc(o.result)}"
                  + (f" — {esc(o.detail)}" if o.detail else "") for o in result.feeds.outcomes]
    if queued is not None:
        month, count = queued
        lines.append(f"Digests for {month_name(month)}: {plural(count, 'message')} queued.")
    return fit("\n".join(lines))


def _stamp(iso: str | None) -> str:
    """An ISO 8601 UTC time to the second, as "2026-12-02 04:00:46 UTC"."""
    if not iso:
        return "never"
    return esc(iso.replace("T", " ").split(".")[0].replace("+00:00", "") + " UTC")


def feed_lines(feeds: Mapping[str, FeedState], current: Mapping[str, Version],
               following: bool) -> list[str]:
    """Per publisher and dataset: the last success, the last failure and why, the newest
    release the publisher lists, and what is current here."""
    if not following:
        return ["<b>Publishers</b>: not followed (the check reads the [sources] files)"]
    lines = ["<b>Publishers</b>"]
    for feed, name in texts.FEED_NAMES.items():
        s = feeds.get(feed)
        kind = str(KIND.get(feed, feed))  # type: ignore[call-overload]
        here = current.get(kind)
        now = f"here: to {_month(here.last_month)}" if here and here.last_month else "here: none"
        if s is None:
            lines.append(f"• {esc(name)}: not checked yet; {now}")
            continue
        line = f"• {esc(name)}: last reached {_stamp(s.last_success)}"
        if s.release_title:
            period = f" ({esc(s.release_period)})" if s.release_period else ""
            line += f"; newest listed: {esc(s.release_title)}{period}"
        line += f"; {now}"
        if s.not_public_until:
            line += f"; not public, asked again after {esc(s.not_public_until[:10])}"
        if s.failing():
            line += f". <b>Failing</b> since {_stamp(s.last_failure)}: {esc(s.failure or '')}"
        elif s.last_failure:
            line += f". Last failure {_stamp(s.last_failure)}: {esc(s.failure or '')}"
        lines.append(line)
    return lines


def status_html(current: Mapping[str, Version], last: CheckRecord | None,
                subs: SubscriptionCounts, deliveries: DeliveryCounts,
                sending: bool, feeds: Sequence[str] = ()) -> str:
    """/status: what is current, the last check, each publisher's feeds, subscriptions and
    the latest digests."""
    lines = ["<b>Current data</b>"]
    for kind in KIND_NAMES:
        v = current.get(kind)
        if v is None:
            lines.append(f"• {KIND_NAMES[kind]}: none")
            continue
        months = f"to {_month(v.last_month)}" if v.last_month else "no months"
        loaded = v.loaded_at.replace("T", " ").replace("+00:00", " UTC")
        lines.append(f"• {KIND_NAMES[kind]}: {months}, loaded {esc(loaded)}")
    lines.append("<b>Last check</b>: " + (check_line(last) if last else "none yet"))
    lines += feeds
    lines.append(f"<b>Subscriptions</b>: {n(subs.active)} active, {n(subs.paused)} paused, "
                 f"in {plural(subs.chats, 'chat')}")
    if deliveries.month is None:
        lines.append("<b>Digests</b>: none sent yet")
    else:
        line = (f"<b>Digests for {month_name(deliveries.month)}</b>: {n(deliveries.sent)} sent, "
                f"{n(deliveries.pending)} pending, {n(deliveries.failed)} failed")
        if deliveries.failed_by_error:
            line += " (" + ", ".join(f"{esc(e)} {n(c)}"
                                     for e, c in deliveries.failed_by_error) + ")"
        lines.append(line + ("; sending now" if sending else "") + ".")
    return fit("\n".join(lines))


def digests_paused_html(reason: str, pending: int) -> str:
    """For the operators: the digest sender stopped because the store cannot be written."""
    return (f"⚠️ <b>Digests paused: the store cannot be written ({esc(reason)}).</b> "
            f"{plural(pending, 'digest')} {'stays' if pending == 1 else 'stay'} pending: none "
            "was sent twice or lost. They are sent at the next check (or /reload, or a "
            "restart) once the store can be written again.")
