"""Saved SPARQL queries (*.rq with their metadata), shipped as package data."""
