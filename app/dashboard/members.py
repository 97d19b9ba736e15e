"""Member search, a member's page and what staff can do for a member."""
