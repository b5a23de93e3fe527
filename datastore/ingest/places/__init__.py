"""Building the place resolver's gazetteer from its sources (run by hand; a test rebuilds it)."""
