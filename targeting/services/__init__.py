"""Services of the targeting app."""
