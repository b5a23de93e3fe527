"""What charts and maps share: the size, the colours (colour-blind safe: the map's five bands
are ColorBrewer's diverging RdBu — blue below the London average, near-white around it, red
above —, the chart's lines Okabe-Ito colours, each with its own line style as well), the
attribution, and a new figure drawn on the Agg canvas (no pyplot, no global state), so a picture
can be drawn in a worker thread.  Every string is drawn as plain text (`plain_text`): a `$` in
a published name is a dollar sign, never mathtext."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, TypeVar

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from datastore.query.figures import BAND_EDGES, Band, month_name
from handlers.present.words import ratio

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

F = TypeVar("F", bound=Callable[..., object])

DPI: Final = 120


CHART_SIZE: Final = (10.0, 6.0)  # inches: 1200 x 720 pixels


CAPTION_LIMIT: Final = 1024  # Telegram's limit for a photo's caption


BANDS: Final[tuple[Band, ...]] = ("well below", "below", "around", "above", "well above")


BAND_COLOURS: Final[dict[Band, str]] = {
    "well below": "#0571b0",
    "below": "#92c5de",
    "around": "#f7f7f7",
    "above": "#f4a582",
    "well above": "#ca0020",
}


NO_RATE_COLOUR: Final = "#bdbdbd"


CITY_COLOUR: Final = "#e0e0e0"


EDGE_COLOUR: Final = "#6e6e6e"


# Okabe-Ito blue and orange, and a dark grey: distinguishable in every common colour-vision
# deficiency, and told apart by line style and markers besides.
WARD_LINE: Final = "#0072b2"


BOROUGH_LINE: Final = "#e69f00"


LONDON_LINE: Final = "#4d4d4d"


OS_ATTRIBUTION: Final = "Contains OS data © Crown copyright and database right"


CRIME_SOURCE: Final = (
    "Crime: Metropolitan Police Service via the London Datastore. Residents: ONS Census 2021 "
    "usual residents. Open Government Licence v3.0."
)


# The statement of age drawn on a picture whose figures are no longer current.
STALE_COLOUR: Final = "#b2182b"


CITY_NOTE: Final = (
    "The City of London (hatched) has its own police force and is not in the Met's figures.")



def band_labels() -> dict[Band, str]:
    """Each band, lowest first, with its range of times the London average (legend text)."""
    edges = [edge for edge, _ in BAND_EDGES]
    labels: dict[Band, str] = {BANDS[0]: f"well below\nunder {ratio(edges[0])}×"}
    for i, name in enumerate(BANDS[1:-1], 1):
        labels[name] = f"{name}\n{ratio(edges[i - 1])}× to {ratio(edges[i])}×"
    labels[BANDS[-1]] = f"well above\n{ratio(edges[-1])}× or more"
    return labels


# Text is drawn as it is: matplotlib reads "$...$" as mathtext (TeX-like markup) unless told
# not to, and a ward named "Hackney $\undefinedmacro{x}$ Central" then took the chart down.
# A Text reads this setting when it is made, so every figure is made (and saved) under it
# (rcParams are process-wide for that moment: renders run one at a time).
PLAIN: Final[dict[RcKeyType, bool]] = {"text.parse_math": False, "text.usetex": False}


def plain_text(draw: F) -> F:
    """`draw` run with every string it makes drawn as plain text (PLAIN)."""
    decorated: F = rc_context(PLAIN)(draw)
    return decorated


@plain_text
def png(fig: Figure) -> bytes:
    """The figure as PNG bytes, at its own size and resolution."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def new_figure(size: tuple[float, float]) -> Figure:
    fig = Figure(figsize=size, dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def period(months: Sequence[int]) -> str:
    return f"{month_name(months[0])} to {month_name(months[-1])}"
