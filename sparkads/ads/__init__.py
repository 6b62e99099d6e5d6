"""Ads that use the brand's Spark codes, and the money that stops when a code ends."""
