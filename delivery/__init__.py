"""What the pipeline hands to people: decks, reports, alerts (the delivery layer)."""
