"""Coordinates for building the gazetteer: Ordnance Survey grid references and
eastings/northings (OSGB36, EPSG:27700) as WGS84 latitude and longitude, without a projection
library; and WGS84 points in metres on a plane around London, for distances and areas.

The inverse Transverse Mercator projection of the National Grid on the Airy 1830 ellipsoid,
then the published seven-parameter Helmert transformation from OSGB36 to WGS84, as set out in
Ordnance Survey's "A guide to coordinate systems in Great Britain" (the formulae of its
annexes; OSTN15 is not used).  OS gives the Helmert step as good to about 5 m; against the
bundled Code-Point Open postcodes, which carry both, it is within a few metres over London
(tests/test_gazetteer.py measures it).  Grid references here are at best 10 m, usually
100 m, so that is ample.
"""

from __future__ import annotations

import math
import re
from typing import Final

__all__ = ["grid_reference", "metres", "to_wgs84"]

# Airy 1830 (OSGB36) and the National Grid's projection.
_AIRY_A: Final = 6377563.396
_AIRY_B: Final = 6356256.909
_F0: Final = 0.9996012717
_LAT0: Final = math.radians(49.0)
_LON0: Final = math.radians(-2.0)
_E0: Final = 400000.0
_N0: Final = -100000.0
# GRS80 / WGS84.
_WGS_A: Final = 6378137.0
_WGS_B: Final = 6356752.3141
# OSGB36 -> WGS84: translations (m), scale (ppm), rotations (arc seconds).
_TX, _TY, _TZ = 446.448, -125.157, 542.060
_S: Final = -20.4894e-6
_RX, _RY, _RZ = (math.radians(s / 3600) for s in (0.1502, 0.2470, 0.8421))

_REF_RE: Final = re.compile(r"^([HNOST][A-HJ-Z])\s*(\d+)\s*(\d*)$")


def grid_reference(ref: str) -> tuple[float, float, float] | None:
    """A grid reference ("TQ345665", "TQ 3451 6652") as (easting, northing, precision in m)
    of the middle of the square it names; None if it is not one.  An even number of digits,
    2 to 10, half of them the easting."""
    match = _REF_RE.match(ref.strip().upper())
    if match is None:
        return None
    letters, digits = match.group(1), match.group(2) + match.group(3)
    if not digits or len(digits) % 2 or len(digits) > 10:
        return None
    first, second = (ord(ch) - ord("A") for ch in letters)
    first -= first > 7  # the grid has no I
    second -= second > 7
    e100 = ((first - 2) % 5) * 5 + second % 5
    n100 = (19 - (first // 5) * 5) - second // 5
    half = len(digits) // 2
    size = 10 ** (5 - half)  # the square's side in metres
    easting = e100 * 100_000 + int(digits[:half]) * size + size / 2
    northing = n100 * 100_000 + int(digits[half:]) * size + size / 2
    return easting, northing, float(size)


def _meridian_arc(lat: float, b: float, n: float) -> float:
    d, s = lat - _LAT0, lat + _LAT0
    return b * _F0 * (
        (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * d
        - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(d) * math.cos(s)
        + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * d) * math.cos(2 * s)
        - 35 / 24 * n**3 * math.sin(3 * d) * math.cos(3 * s)
    )


def _osgb36(easting: float, northing: float) -> tuple[float, float]:
    """Latitude and longitude (radians) on OSGB36 of a National Grid point."""
    a, b = _AIRY_A, _AIRY_B
    e2 = 1 - b**2 / a**2
    n = (a - b) / (a + b)
    lat, m = _LAT0, 0.0
    while True:
        lat += (northing - _N0 - m) / (a * _F0)
        m = _meridian_arc(lat, b, n)
        if abs(northing - _N0 - m) < 1e-5:
            break
    sin, cos, tan = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * _F0 / math.sqrt(1 - e2 * sin**2)
    rho = a * _F0 * (1 - e2) / (1 - e2 * sin**2) ** 1.5
    eta2 = nu / rho - 1
    vii = tan / (2 * rho * nu)
    viii = tan / (24 * rho * nu**3) * (5 + 3 * tan**2 + eta2 - 9 * tan**2 * eta2)
    ix = tan / (720 * rho * nu**5) * (61 + 90 * tan**2 + 45 * tan**4)
    x = 1 / (cos * nu)
    xi = 1 / (cos * 6 * nu**3) * (nu / rho + 2 * tan**2)
    xii = 1 / (cos * 120 * nu**5) * (5 + 28 * tan**2 + 24 * tan**4)
    xiia = 1 / (cos * 5040 * nu**7) * (61 + 662 * tan**2 + 1320 * tan**4 + 720 * tan**6)
    de = easting - _E0
    return (lat - vii * de**2 + viii * de**4 - ix * de**6,
            _LON0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7)


def _cartesian(lat: float, lon: float, a: float, b: float) -> tuple[float, float, float]:
    e2 = 1 - b**2 / a**2
    nu = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
    return (nu * math.cos(lat) * math.cos(lon), nu * math.cos(lat) * math.sin(lon),
            (1 - e2) * nu * math.sin(lat))


def _geodetic(x: float, y: float, z: float, a: float, b: float) -> tuple[float, float]:
    e2 = 1 - b**2 / a**2
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        nu = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
        lat = math.atan2(z + e2 * nu * math.sin(lat), p)
    return lat, math.atan2(y, x)


def to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """WGS84 (latitude, longitude) in degrees of an OSGB36 National Grid point."""
    lat, lon = _osgb36(easting, northing)
    x, y, z = _cartesian(lat, lon, _AIRY_A, _AIRY_B)
    x2 = _TX + (1 + _S) * x - _RZ * y + _RY * z
    y2 = _TY + _RZ * x + (1 + _S) * y - _RX * z
    z2 = _TZ - _RY * x + _RX * y + (1 + _S) * z
    lat, lon = _geodetic(x2, y2, z2, _WGS_A, _WGS_B)
    return math.degrees(lat), math.degrees(lon)


# A plane tangent at the middle of London: within 30 km of it, lengths are off by under 0.5 %.
_LAT_MID: Final = 51.5
_LON_MID: Final = -0.12
_M_PER_DEG_LAT: Final = 111_258.0  # a degree of latitude at 51.5° N, on WGS84
_M_PER_DEG_LON: Final = 69_439.0  # a degree of longitude there


def metres(lat: float, lon: float) -> tuple[float, float]:
    """A WGS84 point as (x, y) metres east and north of the middle of London."""
    return (lon - _LON_MID) * _M_PER_DEG_LON, (lat - _LAT_MID) * _M_PER_DEG_LAT
