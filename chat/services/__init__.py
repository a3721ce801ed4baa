"""Services write: every state change of chat goes through a function here."""
