"""Services of the leads app, split by noun: availability, capture, pipeline,
notices, privacy."""
