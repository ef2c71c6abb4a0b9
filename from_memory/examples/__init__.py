"""Example data: the demo class, the submission factory, the hostile and honest corpora."""
