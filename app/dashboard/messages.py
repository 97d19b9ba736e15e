"""Messages to a segment's cards: compose, preview, send, outcomes."""
