"""The cmqgraph vocabulary (cmq.ttl), SHACL shapes (shapes.ttl) and JSON-LD context (context.jsonld), shipped as package data."""
